package controller

import (
	"errors"
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Reasons a session ends, reported to Handler.Disconnected and returned by
// calls on a closed Switch (wrapped).
var (
	ErrClosed       = errors.New("switch connection closed")
	ErrReplaced     = errors.New("replaced by a new connection from the same datapath")
	ErrEchoTimeout  = errors.New("switch silent: echo timeout")
	ErrShutdown     = errors.New("controller shutting down")
	ErrIncompatible = errors.New("switch does not speak OpenFlow 1.3")
	ErrProtocol     = errors.New("protocol violation")
)

// OFError is an OpenFlow error message a switch sent, with the request
// that caused it when that request is known. errors.Is matches it against
// an *of13.Error with the same type and code.
type OFError struct {
	DPID uint64
	XID  uint32
	Err  *of13.Error
	// Request summarises the message that failed (of13.Message.Summary),
	// empty for unsolicited errors or requests too old to remember.
	Request string
}

// Error renders e as "dp 0000000000000001: OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ for flow-mod add ...".
func (e *OFError) Error() string {
	s := fmt.Sprintf("dp %016x: %s", e.DPID, e.Err.Error())
	if e.Request != "" {
		s += " for " + e.Request
	} else {
		s += fmt.Sprintf(" (xid %d)", e.XID)
	}
	return s
}

// Unwrap returns the OpenFlow error.
func (e *OFError) Unwrap() error { return e.Err }
