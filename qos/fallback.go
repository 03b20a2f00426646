package qos

// Reason says why a call, or one of its legs, proceeds best effort instead
// of with per-call QoS. Reasons are metric label values, so they are few and
// fixed.
type Reason string

// Fallback reasons.
const (
	// ReasonLocationUnknown: neither endpoint of a media stream is learned
	// on any datapath the policy applies to.
	ReasonLocationUnknown Reason = "location_unknown"
	// ReasonOutOfScope: the endpoints are learned, but apply_to excludes
	// their DP, VLAN or port.
	ReasonOutOfScope Reason = "out_of_scope"
	// ReasonNoMedia: the leg's media addresses are unknown or invalid.
	ReasonNoMedia Reason = "no_media"
	// ReasonOverCapacity: max_calls calls already have QoS.
	ReasonOverCapacity Reason = "over_capacity"
	// ReasonMeterTableFull: the switch has no free meter.
	ReasonMeterTableFull Reason = "meter_table_full"
	// ReasonTableFull: the switch refused a flow for lack of space.
	ReasonTableFull Reason = "table_full"
	// ReasonFlowModError: the switch refused a flow for another reason.
	ReasonFlowModError Reason = "flowmod_error"
	// ReasonSwitchDown: the switch holding an endpoint is not connected.
	ReasonSwitchDown Reason = "switch_down"
	// ReasonOverBudget: admitting the call would take a link's voice
	// bandwidth past its budget (voip.qos.admission).
	ReasonOverBudget Reason = "over_budget"
)

// AllReasons lists every reason, so metrics can export zeros for all of
// them.
func AllReasons() []Reason {
	return []Reason{
		ReasonLocationUnknown, ReasonOutOfScope, ReasonNoMedia, ReasonOverCapacity,
		ReasonMeterTableFull, ReasonTableFull, ReasonFlowModError, ReasonSwitchDown, ReasonOverBudget,
	}
}
