package config

import (
	"net/netip"
	"time"
)

// AGI is the `voip.agi` section: voipsdn's FastAGI server, where the
// dialplan chooses a call's QoS class with
// AGI(agi://voipsdn:4573/qos?class=NAME).
type AGI struct {
	// Listen is the TCP address to listen on (host:port; an empty host
	// listens on every address).
	Listen string `json:"listen"`
	// MaxSessions bounds the FastAGI sessions served at once; a
	// connection past it is closed at once and counted.
	MaxSessions int `json:"max_sessions"`
	// Timeout bounds each read and write of a session, and Asterisk's
	// time to close after voipsdn has finished.
	Timeout time.Duration `json:"timeout"`
	// Allow lists the networks FastAGI connections are accepted from,
	// besides the IP hosts of voip.asterisk.
	Allow []netip.Prefix `json:"allow,omitempty"`
	Pos   Pos            `json:"-"`
}

// Defaults of voip.agi.
const (
	DefaultAGIListen      = "0.0.0.0:4573"
	DefaultAGIMaxSessions = 64
	DefaultAGITimeout     = 5 * time.Second
)

// QoSClass is one entry of voip.qos.classes: the treatment a call
// classified by the dialplan gets, in place of voip.qos's defaults.
type QoSClass struct {
	Name string `json:"name"`
	// DSCP marks the class's media (default voip.qos.voice_dscp).
	DSCP uint8 `json:"dscp"`
	// Meter: police each stream at its codec bandwidth plus
	// HeadroomPercent (default true).
	Meter           bool    `json:"meter"`
	HeadroomPercent float64 `json:"headroom_percent"`
	// Queue for set_queue (default voip.qos.queue; nil for none).
	Queue *uint32 `json:"queue,omitempty"`
	// Priority ranks classes (0-100, higher first) where they compete,
	// for admission control.
	Priority int `json:"priority"`
	// Admission: AdmissionBudget (counts against and is subject to the
	// link budget) or AdmissionExempt (always admitted, e.g. emergency
	// calls).
	Admission string `json:"admission"`
	Pos       Pos    `json:"-"`
}

// Admission modes of a QoS class.
const (
	AdmissionBudget = "budget"
	AdmissionExempt = "exempt"
)

// DefaultClassVariable is the channel variable a dialplan sets to choose a
// call's class without AGI (voip.qos.class_variable).
const DefaultClassVariable = "VOIPSDN_QOS_CLASS"

// Class returns the class of that name, or nil.
func (q *QoS) Class(name string) *QoSClass {
	for _, c := range q.Classes {
		if c.Name == name {
			return c
		}
	}
	return nil
}
