package netevents

import (
	"time"

	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/internal/eventbus"
)

// CallRecordType is the record type of call events on the Faucet socket
// and the SSE stream (Faucet has none; tools that switch on the body key
// ignore it).
const CallRecordType = "VOIP_CALL"

// Call record events (CallRecord.Event).
const (
	CallStart      = "start"         // the call's first leg appeared
	CallAnswer     = "answer"        // a leg answered
	CallMedia      = "media"         // a leg's RTP endpoints (and codec) are known or moved
	CallQoS        = "qos_installed" // a leg's per-call flows are confirmed on the switches
	CallBestEffort = "best_effort"   // a leg gets no per-call QoS; Reason says why
	CallQuality    = "quality"       // an RTCP report of a leg
	CallEnd        = "end"           // the call ended
)

// CallRecord is the body of a VOIP_CALL record: what the Lync SDN API gave
// network managers (start, update, end with endpoints and codecs), plus
// where voipsdn put the call in the network.
type CallRecord struct {
	Event  string `json:"event"`
	Server string `json:"server"`
	Call   string `json:"call"`          // the PBX's Linkedid
	Leg    string `json:"leg,omitempty"` // the channel's Uniqueid
	// Channel, CallerID and Exten describe the leg.
	Channel  string `json:"channel,omitempty"`
	CallerID string `json:"caller_id,omitempty"`
	Exten    string `json:"exten,omitempty"`
	// Media: the phone's RTP address (remote), the PBX's (local, or the
	// peer phone's when direct), the codec.
	Remote string `json:"remote,omitempty"`
	Local  string `json:"local,omitempty"`
	Codec  string `json:"codec,omitempty"`
	Direct bool   `json:"direct,omitempty"`
	// QoS lists where the leg's flows are (qos_installed); InstallMS is
	// how long after media known the switches confirmed them. A leg whose
	// directions are placed at different times has one record for each.
	QoS       []Placement `json:"qos,omitempty"`
	InstallMS float64     `json:"install_ms,omitempty"`
	// Reason says why a leg is best effort, or why a call ended abnormally.
	Reason  string   `json:"reason,omitempty"`
	Quality *Quality `json:"quality,omitempty"`
	// End of call.
	Cause      int     `json:"cause,omitempty"`
	CauseText  string  `json:"cause_text,omitempty"`
	DialStatus string  `json:"dial_status,omitempty"`
	Answered   bool    `json:"answered,omitempty"`
	DurationS  float64 `json:"duration_s,omitempty"`
	TalkS      float64 `json:"talk_s,omitempty"`
}

// Placement is one switch port that carries a leg's media with QoS.
type Placement struct {
	DPID   uint64 `json:"dp_id"`
	DPName string `json:"dp_name"`
	Port   uint32 `json:"port_no"`
	VLAN   uint16 `json:"vid"`
	DSCP   uint8  `json:"dscp"`
	// MeterID is 0 when the leg is not metered.
	MeterID uint32 `json:"meter_id,omitempty"`
	// Direction: "to_phone" or "from_phone".
	Direction string `json:"direction,omitempty"`
}

// Quality is an RTCP report's figures.
type Quality struct {
	Direction    string  `json:"direction"` // sent, received
	FractionLost float64 `json:"fraction_lost"`
	Cumulative   int     `json:"cumulative_lost"`
	JitterMS     float64 `json:"jitter_ms"`
	RTTMS        float64 `json:"rtt_ms,omitempty"`
	MES          float64 `json:"mes,omitempty"`
}

// Calls publishes VOIP_CALL records. Event is the hook for call sources
// (voice.Options.Events today); QoSInstalled and BestEffort are the hooks
// for the QoS service, which knows where a leg's flows went (issue #15
// wires them).
type Calls struct{ Bus *eventbus.Bus }

func (c Calls) publish(t time.Time, r CallRecord) {
	c.Bus.Publish(eventbus.Record{Time: t, DPName: "0", Server: r.Server, Type: CallRecordType, Body: r})
}

// Event publishes the record for a call event; events that network tools
// have no use for (resyncs, refusals, classification) are skipped. It
// never blocks.
func (c Calls) Event(ev call.Event) {
	if r, ok := CallRecordOf(ev); ok {
		c.publish(ev.EventHeader().Time, r)
	}
}

// QoSInstalled publishes that a leg's flows are confirmed where listed.
func (c Calls) QoSInstalled(server, callID, leg string, at time.Time, where []Placement) {
	c.QoSInstalledIn(server, callID, leg, at, 0, where)
}

// QoSInstalledIn is QoSInstalled with the install latency (media known to
// confirmed).
func (c Calls) QoSInstalledIn(server, callID, leg string, at time.Time, latency time.Duration, where []Placement) {
	c.publish(at, CallRecord{Event: CallQoS, Server: server, Call: callID, Leg: leg, QoS: where, InstallMS: ms(latency)})
}

// BestEffort publishes that a leg gets no per-call QoS, and why (the QoS
// engine's fallback reason: unknown host, no meter, ...).
func (c Calls) BestEffort(server, callID, leg string, at time.Time, reason string) {
	c.publish(at, CallRecord{Event: CallBestEffort, Server: server, Call: callID, Leg: leg, Reason: reason})
}

func legRecord(event string, h call.Header, l call.Leg) CallRecord {
	return CallRecord{Event: event, Server: h.Server, Call: h.Call, Leg: l.Uniqueid, Channel: l.Channel,
		CallerID: l.CallerID, Exten: l.Exten}
}

// CallRecordOf maps a call event to its record.
func CallRecordOf(ev call.Event) (CallRecord, bool) {
	switch e := ev.(type) {
	case call.CallStarted:
		return legRecord(CallStart, e.Header, e.Leg), true
	case call.LegAnswered:
		return legRecord(CallAnswer, e.Header, e.Leg), true
	case call.MediaKnown:
		r := legRecord(CallMedia, e.Header, e.Leg)
		if e.Remote.IsValid() {
			r.Remote = e.Remote.String()
		}
		if e.Local.IsValid() {
			r.Local = e.Local.String()
		}
		r.Codec, r.Direct = e.Codec, e.Direct
		return r, true
	case call.QualityReport:
		if !e.Block {
			return CallRecord{}, false // says nothing about reception
		}
		r := legRecord(CallQuality, e.Header, e.Leg)
		r.Quality = &Quality{Direction: e.Direction, FractionLost: e.FractionLost, Cumulative: e.CumulativeLost,
			JitterMS: ms(e.Jitter), MES: e.MES}
		if e.RTTKnown {
			r.Quality.RTTMS = ms(e.RTT)
		}
		return r, true
	case call.BestEffort:
		return CallRecord{Event: CallBestEffort, Server: e.Server, Call: e.Call, Leg: e.Uniqueid, Reason: e.Reason}, true
	case call.CallEnded:
		return CallRecord{Event: CallEnd, Server: e.Server, Call: e.Call, Cause: e.Cause, CauseText: e.CauseText,
			DialStatus: e.DialStatus, Answered: e.Answered, Reason: e.Reason,
			DurationS: e.Duration.Seconds(), TalkS: e.Talk.Seconds()}, true
	}
	return CallRecord{}, false
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
