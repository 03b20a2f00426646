package config

// Admission is the `voip.qos.admission` section: the links whose voice
// bandwidth voipsdn budgets, call by call, and whose best-effort traffic
// it may police to what the admitted calls leave.
type Admission struct {
	// Links, sorted by name.
	Links []*AdmissionLink `json:"links"`
	// AssumeCodec is the codec a FastAGI or AsyncAGI admission question
	// is answered for: the call's own codec is negotiated only when it is
	// answered. "" means voip.qos.default_kbps.
	AssumeCodec string `json:"assume_codec,omitempty"`
	Pos         Pos    `json:"-"`
}

// AdmissionLink is one budgeted link: a switch port (the uplink) with the
// capacity of what lies beyond it, in each direction.
type AdmissionLink struct {
	Name string `json:"name"`
	// DP and Port are where the link leaves the switch.
	DP   string `json:"dp"`
	Port uint32 `json:"port"`
	// CapacityKbps is the link's rate in each direction.
	CapacityKbps float64 `json:"capacity_kbps"`
	// VoiceSharePercent is the part of it admitted calls may take.
	VoiceSharePercent float64 `json:"voice_share_percent"`
	// PoliceBestEffort: meter the traffic entering the switch towards
	// the link, other than voice, at CapacityKbps less the admitted
	// voice.
	PoliceBestEffort bool `json:"police_best_effort"`
	Pos              Pos  `json:"-"`
}

// BudgetKbps is the voice bandwidth the link admits per direction.
func (l *AdmissionLink) BudgetKbps() float64 { return l.CapacityKbps * l.VoiceSharePercent / 100 }

// Link returns the admission link of that name, or nil.
func (a *Admission) Link(name string) *AdmissionLink {
	if a == nil {
		return nil
	}
	for _, l := range a.Links {
		if l.Name == name {
			return l
		}
	}
	return nil
}
