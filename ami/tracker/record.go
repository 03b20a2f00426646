package tracker

import "time"

// Record is the flat JSON form of an Event, one object per line in
// "voipsdn ami replay" and "voipsdn ami watch". docs/ami.md documents it.
type Record struct {
	Type        string   `json:"type"`
	Timestamp   string   `json:"timestamp,omitempty"`
	Server      string   `json:"server,omitempty"`
	Call        string   `json:"call,omitempty"`
	Leg         string   `json:"leg,omitempty"`
	Channel     string   `json:"channel,omitempty"`
	State       string   `json:"state,omitempty"`
	LocalChan   bool     `json:"local_channel,omitempty"`
	CallerID    string   `json:"caller_id,omitempty"`
	Exten       string   `json:"exten,omitempty"`
	Bridge      string   `json:"bridge,omitempty"`
	LocalPeer   string   `json:"local_peer,omitempty"`
	Resynced    bool     `json:"resynced,omitempty"`
	LiveCalls   []string `json:"live_calls,omitempty"`
	MediaLocal  string   `json:"media_local,omitempty"`
	MediaRemote string   `json:"media_remote,omitempty"`
	MediaSource string   `json:"media_source,omitempty"`
	DirectMedia bool     `json:"direct_media,omitempty"`
	Codec       string   `json:"codec,omitempty"`
	Direction   string   `json:"direction,omitempty"`
	RTCPLocal   string   `json:"rtcp_local,omitempty"`
	RTCPRemote  string   `json:"rtcp_remote,omitempty"`
	Confirmed   *bool    `json:"confirmed,omitempty"`
	LossFrac    *float64 `json:"fraction_lost,omitempty"`
	CumLost     *int     `json:"cumulative_lost,omitempty"`
	JitterMS    *float64 `json:"jitter_ms,omitempty"`
	RTTMS       *float64 `json:"rtt_ms,omitempty"`
	MES         *float64 `json:"mes,omitempty"`
	Cause       *int     `json:"cause,omitempty"`
	CauseText   string   `json:"cause_text,omitempty"`
	DialStatus  string   `json:"dial_status,omitempty"`
	Answered    *bool    `json:"answered,omitempty"`
	DurationS   *float64 `json:"duration_s,omitempty"`
	TalkS       *float64 `json:"talk_s,omitempty"`
	EndReason   string   `json:"end_reason,omitempty"`
	Legs        []string `json:"legs,omitempty"`
	ActionID    string   `json:"action_id,omitempty"`
	Success     *bool    `json:"success,omitempty"`
	OrigReason  *int     `json:"originate_reason,omitempty"`
	Message     string   `json:"message,omitempty"`
	Limit       string   `json:"limit,omitempty"`
}

func ptr[T any](v T) *T { return &v }

func ms(d time.Duration) *float64 { return ptr(float64(d) / float64(time.Millisecond)) }

func secs(d time.Duration) *float64 { return ptr(d.Seconds()) }

// TypeName returns the record type of an event: call_started, leg_added,
// leg_answered, media_known, quality, leg_ended, call_ended, originate.
func TypeName(ev Event) string {
	switch ev.(type) {
	case CallStarted:
		return "call_started"
	case LegAdded:
		return "leg_added"
	case LegAnswered:
		return "leg_answered"
	case MediaKnown:
		return "media_known"
	case QualityReport:
		return "quality"
	case LegEnded:
		return "leg_ended"
	case CallEnded:
		return "call_ended"
	case OriginateResult:
		return "originate"
	case Resynced:
		return "resynced"
	case ChannelRefused:
		return "channel_refused"
	}
	return "unknown"
}

func (r *Record) setLeg(l Leg) {
	r.Leg, r.Channel, r.State, r.LocalChan = l.Uniqueid, l.Channel, l.State, l.Local
	r.CallerID, r.Exten = l.CallerID, l.Exten
	r.Bridge, r.LocalPeer = l.Bridge, l.LocalPeer
	if l.DialStatus != "" {
		r.DialStatus = l.DialStatus
	}
}

// ToRecord flattens an event.
func ToRecord(ev Event) Record {
	h := ev.EventHeader()
	r := Record{Type: TypeName(ev), Server: h.Server, Call: h.Call}
	if !h.Time.IsZero() {
		r.Timestamp = h.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	}
	switch e := ev.(type) {
	case CallStarted:
		r.setLeg(e.Leg)
		r.Resynced = e.Resynced
	case LegAdded:
		r.setLeg(e.Leg)
	case LegAnswered:
		r.setLeg(e.Leg)
	case MediaKnown:
		r.setLeg(e.Leg)
		r.MediaLocal, r.MediaRemote = e.Local.String(), e.Remote.String()
		r.MediaSource, r.Codec, r.DirectMedia = string(e.Source), e.Codec, e.Direct
	case QualityReport:
		r.setLeg(e.Leg)
		r.Direction = e.Direction
		r.RTCPLocal, r.RTCPRemote = e.RTCPLocal.String(), e.RTCPRemote.String()
		r.Confirmed = ptr(e.Confirmed)
		r.MES = ptr(e.MES)
		if e.Block {
			r.LossFrac, r.CumLost, r.JitterMS = ptr(e.FractionLost), ptr(e.CumulativeLost), ms(e.Jitter)
		}
		if e.RTTKnown {
			r.RTTMS = ms(e.RTT)
		}
	case LegEnded:
		r.setLeg(e.Leg)
		r.Cause, r.CauseText = ptr(e.Cause), e.CauseText
	case CallEnded:
		r.Cause, r.CauseText, r.DialStatus = ptr(e.Cause), e.CauseText, e.DialStatus
		r.Answered, r.DurationS, r.EndReason = ptr(e.Answered), secs(e.Duration), e.Reason
		if e.Answered {
			r.TalkS = secs(e.Talk)
		}
		for _, l := range e.Legs {
			r.Legs = append(r.Legs, l.Uniqueid)
		}
	case Resynced:
		r.LiveCalls = e.Calls
	case ChannelRefused:
		r.Leg, r.Limit = e.Uniqueid, e.Limit
	case OriginateResult:
		r.Channel, r.Leg, r.ActionID = e.Channel, e.Leg, e.ActionID
		r.Success, r.OrigReason, r.Message = ptr(e.Success), ptr(e.Reason), e.Message
	}
	return r
}
