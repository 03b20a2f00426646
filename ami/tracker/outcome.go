package tracker

// Call outcomes, as Outcome tells them. voipsdn_calls_total counts ended
// calls by these (docs/ami.md).
const (
	OutcomeAnswered  = "answered"  // some leg was answered
	OutcomeBusy      = "busy"      // DialStatus BUSY, or cause 17 User busy
	OutcomeNoAnswer  = "noanswer"  // rang out: NOANSWER, or cause 18/19
	OutcomeCancelled = "cancelled" // the caller gave up while it rang: CANCEL
	OutcomeFailed    = "failed"    // CHANUNAVAIL, CONGESTION, or a failure cause
	OutcomeUnknown   = "unknown"   // nothing says (e.g. ended while disconnected, unanswered)
)

// Outcomes lists every value Outcome returns.
var Outcomes = []string{OutcomeAnswered, OutcomeBusy, OutcomeNoAnswer, OutcomeCancelled, OutcomeFailed, OutcomeUnknown}

// Outcome classifies an ended call from what the tracker saw: an answer
// first, then the last Dial status (the dialplan's verdict, the most
// reliable), then the Q.850 hangup cause. A call that was never dialled
// and hung up with Normal Clearing (an extension that plays a message and
// hangs up unanswered) is unknown rather than guessed.
func Outcome(e CallEnded) string {
	if e.Answered {
		return OutcomeAnswered
	}
	switch e.DialStatus {
	case "BUSY":
		return OutcomeBusy
	case "NOANSWER":
		return OutcomeNoAnswer
	case "CANCEL":
		return OutcomeCancelled
	case "CHANUNAVAIL", "CONGESTION", "INVALIDARGS":
		return OutcomeFailed
	}
	switch e.Cause {
	case 17: // User busy
		return OutcomeBusy
	case 18, 19: // No user responding, No answer
		return OutcomeNoAnswer
	case 1, 2, 3, 20, 21, 22, 27, 28, 29, 31, 34, 38, 41, 42, 44, 47, 58, 88, 102, 111, 127:
		// Unallocated number, no route, subscriber absent, rejected,
		// number changed, out of order, bad format, facility rejected,
		// unspecified, no circuit, network out of order, temporary
		// failure, congestion, ... interworking.
		return OutcomeFailed
	}
	return OutcomeUnknown
}
