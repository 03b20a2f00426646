package call

import (
	"net/netip"
	"time"
)

// Event is one lifecycle event. The concrete types are CallStarted,
// LegAdded, LegAnswered, MediaKnown, QualityReport, LegEnded, CallEnded,
// OriginateResult, Resynced, Unsynced, ChannelRefused, Classified and
// BestEffort; switch on
// them, ignoring types you do not know.
type Event interface {
	// EventHeader returns the fields every event has.
	EventHeader() Header
}

// Header is common to all events.
type Header struct {
	// Server names the PBX (the key of its voip.asterisk entry), whatever
	// interface the event came through: channel Uniqueids and Linkedids
	// are the PBX's own, so two sources following one PBX name the same
	// calls and legs alike.
	Server string
	// Call is the call's Linkedid ("" for an originate that never
	// created a channel).
	Call string
	// Time is the AMI event's Timestamp when present (timestampevents =
	// yes), else the time the tracker was given.
	Time time.Time
}

// EventHeader implements Event.
func (h Header) EventHeader() Header { return h }

// Leg describes one channel of a call.
type Leg struct {
	Uniqueid string
	Channel  string
	State    string // ChannelStateDesc: Down, Ring, Ringing, Up, ...
	// Local marks Local/ channels, which carry no RTP of their own.
	Local      bool
	CallerID   string
	Exten      string
	DialStatus string // as dialled by its caller: RINGING, ANSWER, BUSY, ...
	// Bridge is the BridgeUniqueid the leg is in, "" when not bridged.
	Bridge string
	// LocalPeer is the Uniqueid of the other half of a Local channel
	// pair (LocalBridge).
	LocalPeer string
}

// CallStarted: the first leg of a new Linkedid appeared, or a call was
// found by a resync.
type CallStarted struct {
	Header
	Leg      Leg
	Resynced bool // learned from CoreShowChannels, not from Newchannel
}

// LegAdded: another channel joined a known call.
type LegAdded struct {
	Header
	Leg Leg
}

// LegAnswered: a leg reached state Up.
type LegAnswered struct {
	Header
	Leg Leg
}

// MediaSource says how media addresses were learned.
type MediaSource string

// Media sources.
const (
	// SourceGetvar: Getvar CHANNEL(rtp,dest)/(rtp,src), exact.
	SourceGetvar MediaSource = "getvar"
	// SourceRTCP: inferred from RTCP addresses (RTP = RTCP port - 1
	// when the RTCP port is odd, the same port otherwise, as rtcp-mux
	// does). Used only when Getvar gave nothing.
	SourceRTCP MediaSource = "rtcp"
	// SourceChannelVars: the channel's own variables describe its
	// media (an external media channel's UNICASTRTP_LOCAL_ADDRESS and
	// _PORT, and the remote host it was created with).
	SourceChannelVars MediaSource = "channelvars"
)

// MediaKnown: a leg's RTP addresses (and codec when known) are known,
// or changed. Remote is the leg's phone (for an external media channel,
// the media server it streams to); Local is Asterisk's end of the leg, or,
// with Direct, the peer phone the leg's phone now sends its media to (the
// bridge went direct and Asterisk left the media path).
type MediaKnown struct {
	Header
	Leg    Leg
	Local  netip.AddrPort
	Remote netip.AddrPort
	Codec  string // "ulaw", "alaw", "g722", "opus", ...; "" if unknown
	Source MediaSource
	Direct bool
}

// QualityReport carries one RTCP report of a leg.
type QualityReport struct {
	Header
	Leg Leg
	// Direction is "sent" (Asterisk's report about what it receives from
	// the phone) or "received" (the phone's report about Asterisk's).
	Direction string
	// RTCPLocal and RTCPRemote are the RTCP addresses of the report.
	RTCPLocal, RTCPRemote netip.AddrPort
	// Confirmed: the RTCP addresses agree with the leg's known media.
	Confirmed bool
	// Block: the report carried a well-formed reception report block, so
	// FractionLost, CumulativeLost and Jitter are measurements. A sender
	// report without one (a phone that has received no RTP yet) says
	// nothing about reception, and must not count as zero loss.
	Block          bool
	FractionLost   float64 // 0..1
	CumulativeLost int
	Jitter         time.Duration // interarrival jitter, via the codec's clock rate
	// RTTKnown: RTT was measured. Asterisk can compute it only on
	// RTCPReceived, from a block echoing one of its own sender reports
	// (LSR not 0); otherwise it prints 0.
	RTTKnown bool
	RTT      time.Duration
	MES      float64 // Asterisk's media experience score, 0..100; 0 if absent
}

// LegEnded: a leg hung up.
type LegEnded struct {
	Header
	Leg       Leg
	Cause     int
	CauseText string
}

// CallEnded: the last leg of a call hung up, or the call vanished while
// the AMI connection was down (Reason says so).
type CallEnded struct {
	Header
	Cause      int // first non-zero hangup cause of the call's legs
	CauseText  string
	DialStatus string // last dial outcome: ANSWER, BUSY, NOANSWER, CANCEL, CHANUNAVAIL, ...
	Answered   bool
	Duration   time.Duration // from start to end
	Talk       time.Duration // from first answer to end
	Reason     string        // "" for a normal hangup; ReasonDisconnected
	Legs       []Leg
}

// Resynced: a resync (CoreShowChannels after login or a reconnect) has
// completed; the tracker's view of the server's calls is complete again.
// Calls lists the Linkedids up on the server, sorted. Consumers that keep
// state per call may now drop whatever is not in it.
type Resynced struct {
	Header
	Calls []string
}

// Unsynced: the source's view stopped being complete (its connection
// went down or it lost events). A Resynced follows once it is complete
// again; until then a consumer must not act on the absence of a call.
type Unsynced struct {
	Header
}

// ReasonDisconnected marks calls closed by a resync: they ended while the
// AMI connection was down.
const ReasonDisconnected = "ended while disconnected"

// ChannelRefused: a channel was not tracked because the server's call or
// leg limit (Options.MaxCalls, MaxLegs) was reached. Its events are
// ignored; it is reported once (while recent).
type ChannelRefused struct {
	Header
	Uniqueid string
	Limit    string // LimitCalls or LimitLegs
}

// Limits named by ChannelRefused.
const (
	LimitCalls = "max_calls"
	LimitLegs  = "max_legs"
)

// OriginateResult reports the outcome of an Originate action.
type OriginateResult struct {
	Header
	ActionID string
	Channel  string // as given to Originate, or the created channel
	Leg      string // Uniqueid of the created channel, "" on failure
	Success  bool
	Reason   int    // Asterisk's originate reason code (4 = answered)
	Message  string // for a synchronous failure: the error message
}

// Classified: the dialplan chose a QoS class for a call (through FastAGI,
// AsyncAGI or a channel variable). Uniqueid is the channel that asked; the
// class applies to the whole call. Class is a name from voip.qos.classes.
type Classified struct {
	Header
	Uniqueid string
	Class    string
}

// BestEffort: the controller gives a leg no per-call QoS, for Reason (a
// qos fallback reason such as over_budget); Link names the admission
// link over budget, when that is the reason. The voice service emits it
// on its event stream; sources never do.
type BestEffort struct {
	Header
	Uniqueid string
	Reason   string
	Link     string
}
