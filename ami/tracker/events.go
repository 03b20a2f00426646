package tracker

import callev "github.com/voipsdn/voipsdn/call"

// The tracker reports the neutral lifecycle events of package call. These
// names keep the tracker's own API readable and let callers written
// against it compile unchanged.
type (
	Event           = callev.Event
	Header          = callev.Header
	Leg             = callev.Leg
	CallStarted     = callev.CallStarted
	LegAdded        = callev.LegAdded
	LegAnswered     = callev.LegAnswered
	MediaSource     = callev.MediaSource
	MediaKnown      = callev.MediaKnown
	QualityReport   = callev.QualityReport
	LegEnded        = callev.LegEnded
	CallEnded       = callev.CallEnded
	Resynced        = callev.Resynced
	Unsynced        = callev.Unsynced
	ChannelRefused  = callev.ChannelRefused
	OriginateResult = callev.OriginateResult
	Classified      = callev.Classified
)

// Media sources and reasons, as in package call.
const (
	SourceGetvar       = callev.SourceGetvar
	SourceRTCP         = callev.SourceRTCP
	SourceChannelVars  = callev.SourceChannelVars
	ReasonDisconnected = callev.ReasonDisconnected
	LimitCalls         = callev.LimitCalls
	LimitLegs          = callev.LimitLegs
)
