package agi

import (
	"context"
	"time"

	"github.com/voipsdn/voipsdn/call"
)

// Values of VOIPSDN_QOS besides a class name. Class names may not take
// these (the config refuses them).
const (
	// ResultUnknownClass: no class of that name (or none given); the call
	// keeps the default treatment.
	ResultUnknownClass = "unknown_class"
	// ResultUnknownScript: the URL path is not /qos.
	ResultUnknownScript = "unknown_script"
	// ResultUnknownServer: the PBX could not be told (the peer address is
	// no configured server's and no valid server= parameter was given).
	ResultUnknownServer = "unknown_server"
	// ResultRejected: the admission hook refused the call; the dialplan
	// may play "all circuits busy" and hang up.
	ResultRejected = "rejected"
)

// VarResult is the channel variable voipsdn sets with its answer.
const VarResult = "VOIPSDN_QOS"

// AdmitFunc is the admission hook: it is asked before a class is applied
// and returns false to refuse the call (VOIPSDN_QOS=rejected, no event).
// It must return quickly: the dialplan waits for the answer.
type AdmitFunc func(ctx context.Context, ev call.Classified) bool

// Classifier decides the answer to a request. It is immutable and safe
// for concurrent use.
type Classifier struct {
	classes map[string]bool
	admit   AdmitFunc
}

// NewClassifier knows the given class names; admit may be nil (admit
// every classified call).
func NewClassifier(classes []string, admit AdmitFunc) *Classifier {
	c := &Classifier{classes: make(map[string]bool, len(classes)), admit: admit}
	for _, n := range classes {
		c.classes[n] = true
	}
	return c
}

// Known reports whether name is a configured class.
func (c *Classifier) Known(name string) bool { return c.classes[name] }

// Decide returns the VOIPSDN_QOS answer for req on server (already
// resolved by the transport; "" when unknown) and, when a class applies,
// the event to emit. linkedid may be "" when the transport does not know
// it.
func (c *Classifier) Decide(ctx context.Context, req Request, server, linkedid string, now time.Time) (string, *call.Classified) {
	switch {
	case req.Script != ScriptQoS:
		return ResultUnknownScript, nil
	case !c.classes[req.Class]:
		return ResultUnknownClass, nil
	case server == "":
		return ResultUnknownServer, nil
	}
	ev := &call.Classified{
		Header:   call.Header{Server: server, Call: linkedid, Time: now},
		Uniqueid: req.Uniqueid, Class: req.Class,
	}
	if c.admit != nil && !c.admit(ctx, *ev) {
		return ResultRejected, nil
	}
	return req.Class, ev
}
