package ami

import (
	"errors"
	"fmt"
	"strings"
)

// Response is the server's answer to one action: the Response message
// and, for event-list actions (EventList: start ... Complete), the list
// events in order, the closing *Complete event excluded.
type Response struct {
	Message
	Events   []Message
	Complete Message // the *Complete event of an event list, if any
}

// Status returns the Response field: Success, Error, Goodbye, Follows.
func (r Response) Status() string { return r.Get("Response") }

// Output returns the lines of Command output (Output fields, as Asterisk
// 14+ sends them and as Reader normalises legacy Follows bodies).
func (r Response) Output() []string { return r.Values("Output") }

// Err returns an *ActionError for Response: Error, nil otherwise.
func (r Response) Err() error {
	if strings.EqualFold(r.Status(), "Error") {
		return &ActionError{Message: r.Get("Message")}
	}
	return nil
}

// ActionError is an error response from the server.
type ActionError struct {
	Action  string
	Message string
}

func (e *ActionError) Error() string {
	if e.Action == "" {
		return "ami: " + e.Message
	}
	return fmt.Sprintf("ami: %s: %s", e.Action, e.Message)
}

// Is matches the sentinel errors by message text.
func (e *ActionError) Is(target error) bool {
	switch target {
	case ErrPermissionDenied:
		return e.Message == "Permission denied"
	case ErrUnknownAction:
		return strings.HasPrefix(e.Message, "Invalid/unknown command")
	case ErrAuthFailed:
		return e.Message == "Authentication failed"
	case ErrNoSuchChannel:
		return e.Message == "No such channel"
	}
	return false
}

// Sentinel errors; test with errors.Is.
var (
	ErrPermissionDenied = errors.New("ami: permission denied")
	ErrUnknownAction    = errors.New("ami: unknown action")
	ErrAuthFailed       = errors.New("ami: authentication failed")
	ErrNoSuchChannel    = errors.New("ami: no such channel")
	ErrTimeout          = errors.New("ami: action timed out")
	ErrNotConnected     = errors.New("ami: not connected")
)
