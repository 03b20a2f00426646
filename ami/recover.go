package ami

import (
	"fmt"
	"runtime/debug"
)

// Components named when a panic is recovered.
const (
	PanicReader   = "ami_reader"   // parsing and routing what the server sent
	PanicDelivery = "ami_delivery" // the consumer's Handler
	PanicSession  = "ami_session"  // dial, login and keepalive
)

// WithPanicHook sets a function told of every panic the client recovers
// (for a metric); it must not panic itself.
func WithPanicHook(f func(server, component string)) Option {
	return func(c *Client) { c.onPanic = f }
}

// PanicError is a recovered panic, turned into an error that ends one
// connection instead of the process.
type PanicError struct {
	Component string
	Value     any
}

func (e *PanicError) Error() string { return fmt.Sprintf("%s: panic: %v", e.Component, e.Value) }

// recovered logs and counts a recovered panic. Every goroutine in this
// package that handles what a peer sent ends in it: a bug triggered by one
// server's bytes costs that server's connection, not the controller.
func (c *Client) recovered(component string, v any) *PanicError {
	c.stats.panics.Add(1)
	c.log.Error("recovered from a panic; dropping the connection", "component", component,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if c.onPanic != nil {
		c.onPanic(c.cfg.Name, component)
	}
	return &PanicError{Component: component, Value: v}
}
