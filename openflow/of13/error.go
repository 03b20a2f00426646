package of13

import "strconv"

// ErrorType is an OpenFlow 1.3 error type (OFPET_*, §7.4.4).
type ErrorType uint16

// Error types.
const (
	ErrHelloFailed         ErrorType = 0
	ErrBadRequest          ErrorType = 1
	ErrBadAction           ErrorType = 2
	ErrBadInstruction      ErrorType = 3
	ErrBadMatch            ErrorType = 4
	ErrFlowModFailed       ErrorType = 5
	ErrGroupModFailed      ErrorType = 6
	ErrPortModFailed       ErrorType = 7
	ErrTableModFailed      ErrorType = 8
	ErrQueueOpFailed       ErrorType = 9
	ErrSwitchConfigFailed  ErrorType = 10
	ErrRoleRequestFailed   ErrorType = 11
	ErrMeterModFailed      ErrorType = 12
	ErrTableFeaturesFailed ErrorType = 13
	ErrExperimenter        ErrorType = 0xffff
)

// Error codes voipsdn refers to by name.
const (
	CodeHelloIncompatible uint16 = 0 // OFPHFC_INCOMPATIBLE
	CodeBadRequestBadType uint16 = 1 // OFPBRC_BAD_TYPE
	CodeBadMatchPrereq    uint16 = 9 // OFPBMC_BAD_PREREQ
)

// errorNames holds, per type, the type's name, the codes' prefix and the
// codes' names in order, as spelled in the OpenFlow 1.3.5 specification.
var errorNames = map[ErrorType]struct {
	name, prefix string
	codes        []string
}{
	ErrHelloFailed:         {"OFPET_HELLO_FAILED", "OFPHFC_", []string{"INCOMPATIBLE", "EPERM"}},
	ErrBadRequest:          {"OFPET_BAD_REQUEST", "OFPBRC_", []string{"BAD_VERSION", "BAD_TYPE", "BAD_MULTIPART", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "EPERM", "BAD_LEN", "BUFFER_EMPTY", "BUFFER_UNKNOWN", "BAD_TABLE_ID", "IS_SLAVE", "BAD_PORT", "BAD_PACKET", "MULTIPART_BUFFER_OVERFLOW"}},
	ErrBadAction:           {"OFPET_BAD_ACTION", "OFPBAC_", []string{"BAD_TYPE", "BAD_LEN", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_OUT_PORT", "BAD_ARGUMENT", "EPERM", "TOO_MANY", "BAD_QUEUE", "BAD_OUT_GROUP", "MATCH_INCONSISTENT", "UNSUPPORTED_ORDER", "BAD_TAG", "BAD_SET_TYPE", "BAD_SET_LEN", "BAD_SET_ARGUMENT"}},
	ErrBadInstruction:      {"OFPET_BAD_INSTRUCTION", "OFPBIC_", []string{"UNKNOWN_INST", "UNSUP_INST", "BAD_TABLE_ID", "UNSUP_METADATA", "UNSUP_METADATA_MASK", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_LEN", "EPERM"}},
	ErrBadMatch:            {"OFPET_BAD_MATCH", "OFPBMC_", []string{"BAD_TYPE", "BAD_LEN", "BAD_TAG", "BAD_DL_ADDR_MASK", "BAD_NW_ADDR_MASK", "BAD_WILDCARDS", "BAD_FIELD", "BAD_VALUE", "BAD_MASK", "BAD_PREREQ", "DUP_FIELD", "EPERM"}},
	ErrFlowModFailed:       {"OFPET_FLOW_MOD_FAILED", "OFPFMFC_", []string{"UNKNOWN", "TABLE_FULL", "BAD_TABLE_ID", "OVERLAP", "EPERM", "BAD_TIMEOUT", "BAD_COMMAND", "BAD_FLAGS"}},
	ErrGroupModFailed:      {"OFPET_GROUP_MOD_FAILED", "OFPGMFC_", []string{"GROUP_EXISTS", "INVALID_GROUP", "WEIGHT_UNSUPPORTED", "OUT_OF_GROUPS", "OUT_OF_BUCKETS", "CHAINING_UNSUPPORTED", "WATCH_UNSUPPORTED", "LOOP", "UNKNOWN_GROUP", "CHAINED_GROUP", "BAD_TYPE", "BAD_COMMAND", "BAD_BUCKET", "BAD_WATCH", "EPERM"}},
	ErrPortModFailed:       {"OFPET_PORT_MOD_FAILED", "OFPPMFC_", []string{"BAD_PORT", "BAD_HW_ADDR", "BAD_CONFIG", "BAD_ADVERTISE", "EPERM"}},
	ErrTableModFailed:      {"OFPET_TABLE_MOD_FAILED", "OFPTMFC_", []string{"BAD_TABLE", "BAD_CONFIG", "EPERM"}},
	ErrQueueOpFailed:       {"OFPET_QUEUE_OP_FAILED", "OFPQOFC_", []string{"BAD_PORT", "BAD_QUEUE", "EPERM"}},
	ErrSwitchConfigFailed:  {"OFPET_SWITCH_CONFIG_FAILED", "OFPSCFC_", []string{"BAD_FLAGS", "BAD_LEN", "EPERM"}},
	ErrRoleRequestFailed:   {"OFPET_ROLE_REQUEST_FAILED", "OFPRRFC_", []string{"STALE", "UNSUP", "BAD_ROLE"}},
	ErrMeterModFailed:      {"OFPET_METER_MOD_FAILED", "OFPMMFC_", []string{"UNKNOWN", "METER_EXISTS", "INVALID_METER", "UNKNOWN_METER", "BAD_COMMAND", "BAD_FLAGS", "BAD_RATE", "BAD_BURST", "BAD_BAND", "BAD_BAND_VALUE", "OUT_OF_METERS", "OUT_OF_BANDS"}},
	ErrTableFeaturesFailed: {"OFPET_TABLE_FEATURES_FAILED", "OFPTFFC_", []string{"BAD_TABLE", "BAD_METADATA", "BAD_TYPE", "BAD_LEN", "BAD_ARGUMENT", "EPERM"}},
	ErrExperimenter:        {"OFPET_EXPERIMENTER", "", nil},
}

// String returns the type's OFPET_ name, or a number for an unknown type.
func (t ErrorType) String() string {
	if n, ok := errorNames[t]; ok {
		return n.name
	}
	return "OFPET_" + strconv.Itoa(int(t))
}

// CodeName returns the OpenFlow name of code under error type t, such as
// OFPBMC_BAD_PREREQ, or a number when the spec names no such code.
func CodeName(t ErrorType, code uint16) string {
	n, ok := errorNames[t]
	if !ok || int(code) >= len(n.codes) {
		return "code" + strconv.Itoa(int(code))
	}
	return n.prefix + n.codes[code]
}

// Error is an OpenFlow error message. Data holds at least the first 64
// bytes of the request that failed, or ASCII text for hello failures.
type Error struct {
	Type ErrorType
	Code uint16
	Data []byte
}

// Error implements error as TYPE/CODE, e.g. OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ.
func (e *Error) Error() string { return e.Type.String() + "/" + CodeName(e.Type, e.Code) }

// Is lets errors.Is match on type and code only.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Type == e.Type && t.Code == e.Code
}
