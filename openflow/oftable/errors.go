package oftable

import "github.com/voipsdn/voipsdn/openflow/of13"

// Error types, shortened for the table below.
const (
	ErrTypeBadRequest     = of13.ErrBadRequest
	ErrTypeBadAction      = of13.ErrBadAction
	ErrTypeBadInstruction = of13.ErrBadInstruction
	ErrTypeBadMatch       = of13.ErrBadMatch
	ErrTypeFlowModFailed  = of13.ErrFlowModFailed
	ErrTypeGroupModFailed = of13.ErrGroupModFailed
	ErrTypeMeterModFailed = of13.ErrMeterModFailed
)

// Error is an OpenFlow error as a switch would report it: a type, a code
// and, for humans, what was wrong. errors.Is compares type and code only,
// so a test can write errors.Is(err, oftable.ErrOverlap).
type Error struct {
	Type   of13.ErrorType
	Code   uint16
	Detail string
}

// Errors the model returns, by OpenFlow name.
var (
	ErrBadTableIDFlow     = Error{Type: ErrTypeFlowModFailed, Code: 2}  // OFPFMFC_BAD_TABLE_ID
	ErrOverlap            = Error{Type: ErrTypeFlowModFailed, Code: 3}  // OFPFMFC_OVERLAP
	ErrBadFlowCommand     = Error{Type: ErrTypeFlowModFailed, Code: 6}  // OFPFMFC_BAD_COMMAND
	ErrGotoBadTable       = Error{Type: ErrTypeBadInstruction, Code: 2} // OFPBIC_BAD_TABLE_ID
	ErrBadOutPort         = Error{Type: ErrTypeBadAction, Code: 4}      // OFPBAC_BAD_OUT_PORT
	ErrBadOutGroup        = Error{Type: ErrTypeBadAction, Code: 9}      // OFPBAC_BAD_OUT_GROUP
	ErrMatchInconsistent  = Error{Type: ErrTypeBadAction, Code: 10}     // OFPBAC_MATCH_INCONSISTENT
	ErrBadActionType      = Error{Type: ErrTypeBadAction, Code: 0}      // OFPBAC_BAD_TYPE
	ErrBadArgument        = Error{Type: ErrTypeBadAction, Code: 5}      // OFPBAC_BAD_ARGUMENT
	ErrBadSetType         = Error{Type: ErrTypeBadAction, Code: 13}     // OFPBAC_BAD_SET_TYPE
	ErrBadMatchField      = Error{Type: ErrTypeBadMatch, Code: 6}       // OFPBMC_BAD_FIELD
	ErrBadMatchValue      = Error{Type: ErrTypeBadMatch, Code: 7}       // OFPBMC_BAD_VALUE
	ErrBadPrereq          = Error{Type: ErrTypeBadMatch, Code: 9}       // OFPBMC_BAD_PREREQ
	ErrDupField           = Error{Type: ErrTypeBadMatch, Code: 10}      // OFPBMC_DUP_FIELD
	ErrGroupExists        = Error{Type: ErrTypeGroupModFailed, Code: 0} // OFPGMFC_GROUP_EXISTS
	ErrInvalidGroup       = Error{Type: ErrTypeGroupModFailed, Code: 1} // OFPGMFC_INVALID_GROUP
	ErrGroupLoop          = Error{Type: ErrTypeGroupModFailed, Code: 7} // OFPGMFC_LOOP
	ErrUnknownGroup       = Error{Type: ErrTypeGroupModFailed, Code: 8} // OFPGMFC_UNKNOWN_GROUP
	ErrChainedGroup       = Error{Type: ErrTypeGroupModFailed, Code: 9} // OFPGMFC_CHAINED_GROUP
	ErrBadGroupType       = Error{Type: ErrTypeGroupModFailed, Code: 10}
	ErrBadGroupCommand    = Error{Type: ErrTypeGroupModFailed, Code: 11}
	ErrBadBucket          = Error{Type: ErrTypeGroupModFailed, Code: 12}
	ErrBadWatch           = Error{Type: ErrTypeGroupModFailed, Code: 13}
	ErrMeterExists        = Error{Type: ErrTypeMeterModFailed, Code: 1} // OFPMMFC_METER_EXISTS
	ErrInvalidMeter       = Error{Type: ErrTypeMeterModFailed, Code: 2} // OFPMMFC_INVALID_METER
	ErrUnknownMeter       = Error{Type: ErrTypeMeterModFailed, Code: 3} // OFPMMFC_UNKNOWN_METER
	ErrBadMeterCommand    = Error{Type: ErrTypeMeterModFailed, Code: 4}
	ErrBadMeterFlags      = Error{Type: ErrTypeMeterModFailed, Code: 5}
	ErrBadMeterRate       = Error{Type: ErrTypeMeterModFailed, Code: 6}
	ErrBadMeterBand       = Error{Type: ErrTypeMeterModFailed, Code: 8}
	ErrBadRequestType     = Error{Type: ErrTypeBadRequest, Code: 1} // OFPBRC_BAD_TYPE
	ErrUnsupportedMessage = ErrBadRequestType
)

// TypeName is the OFPET_* name of the error's type.
func (e Error) TypeName() string { return e.Type.String() }

// CodeName is the error code's OpenFlow name, e.g. OFPFMFC_OVERLAP.
func (e Error) CodeName() string { return of13.CodeName(e.Type, e.Code) }

// Error implements error: "OFPET_FLOW_MOD_FAILED/OFPFMFC_OVERLAP: detail".
func (e Error) Error() string {
	s := e.TypeName() + "/" + e.CodeName()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is reports whether target is an Error, or an *of13.Error as the session
// layer reports a real switch's errors, with the same type and code.
func (e Error) Is(target error) bool {
	switch t := target.(type) {
	case Error:
		return t.Type == e.Type && t.Code == e.Code
	case *of13.Error:
		return t.Type == e.Type && t.Code == e.Code
	}
	return false
}

// Unwrap returns the error as an *of13.Error, so code written against a
// real switch's errors (errors.As(err, &ofErr)) handles the model's too.
func (e Error) Unwrap() error { return &of13.Error{Type: e.Type, Code: e.Code} }

// with returns a copy of e carrying detail.
func (e Error) with(detail string) Error {
	e.Detail = detail
	return e
}
