package calltest

import "fmt"

// originateReason explains an OriginateResponse Reason (Asterisk's
// control frame codes, AST_CONTROL_*): what the originated channel did.
func originateReason(code int) string {
	switch code {
	case 0:
		return "originate failed: no such endpoint or it is unavailable"
	case 1:
		return "the originated channel hung up"
	case 3:
		return "no answer"
	case 4:
		return "answered"
	case 5:
		return "busy"
	case 8:
		return "congestion: the endpoint is unreachable"
	}
	return fmt.Sprintf("originate failed (reason %d)", code)
}
