// Package wire translates between voipsdn's OpenFlow 1.3 model (package
// of13) and bytes on the wire. It is the only package that imports the
// codec library github.com/netrack/openflow, and only for the fixed-layout
// messages that library decodes correctly (features reply, port
// descriptions, error header); everything it gets wrong (hello elements,
// meter bands) or does slowly (flow-mods, matches, actions, flow stats,
// through reflection and io.Reader chains) is encoded and decoded here by
// hand, following the OpenFlow 1.3.5 specification.
//
// Encoders append to a caller-supplied buffer so the session layer can
// batch many messages into one write without allocating. Decoders take a
// whole message body, check every length against the bytes present, and
// return an error instead of panicking on malformed input; decoded values
// never alias the input buffer, which the reader reuses.
//
// Decoders canonicalise what switches normalise (see docs/openflow.md) so
// that a flow read back from Open vSwitch compares equal, with
// of13.Flow.Equal, to the flow that was installed.
//
// All functions are pure and safe for concurrent use.
package wire
