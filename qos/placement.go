package qos

// Placement says where in a datapath's pipeline voice flows live. The
// pipeline compiler owns the table layout; it hands the voice table's id and
// the table that packets continue to.
type Placement struct {
	// Table holds the standing and per-call voice flows.
	Table uint8
	// Next is where marked packets continue through the normal pipeline.
	Next uint8
	// Cookie is the DP cookie put on standing flows, which are part of the
	// compiled pipeline and owned by its reconciler.
	Cookie uint64
}

// Priorities inside the voice table. Per-call flows must beat the standing
// ones so that in strict mode a pinhole wins over the standing drop.
const (
	PrioritySignalling uint16 = 8000
	PriorityStanding   uint16 = 8100
	PriorityCall       uint16 = 9000
	PriorityMiss       uint16 = 0
)
