package wire

import (
	"encoding/binary"
	"fmt"
)

// Controller roles (ofp_controller_role, OpenFlow 1.3 §7.3.9).
const (
	RoleNoChange uint32 = 0
	RoleEqual    uint32 = 1
	RoleMaster   uint32 = 2
	RoleSlave    uint32 = 3
)

// roleBodyLen is ofp_role_request's body: role, 4 bytes of padding,
// generation_id.
const roleBodyLen = 16

// AppendRoleRequest appends an OFPT_ROLE_REQUEST.
func AppendRoleRequest(b []byte, xid uint32, role uint32, generation uint64) []byte {
	start := len(b)
	b = appendHeader(b, TypeRoleRequest, xid)
	b = be32(b, role)
	b = append(b, 0, 0, 0, 0)
	b = be64(b, generation)
	return finish(b, start)
}

// DecodeRole decodes the body of a role request or reply.
func DecodeRole(body []byte) (role uint32, generation uint64, err error) {
	if len(body) < roleBodyLen {
		return 0, 0, fmt.Errorf("role message body of %d bytes, want %d", len(body), roleBodyLen)
	}
	return binary.BigEndian.Uint32(body), binary.BigEndian.Uint64(body[8:]), nil
}

// ONF's role status extension for OpenFlow 1.3 (ONFT_ROLE_STATUS, EXT-191),
// which Open vSwitch sends to a 1.3 controller whose role another
// controller changed: an experimenter message with this id and type.
const (
	ONFExperimenter   uint32 = 0x4f4e4600
	ONFTypeRoleStatus uint32 = 1911
)

// RoleStatus is a decoded ONF role status: the receiver's new role, why
// (0 another controller asked to be master, 1 config, 2 experimenter) and
// the generation id in force.
type RoleStatus struct {
	Role       uint32
	Reason     uint8
	Generation uint64
}

// DecodeONFRoleStatus decodes an experimenter message body; ok is false
// when it is not an ONF role status.
func DecodeONFRoleStatus(body []byte) (rs RoleStatus, ok bool, err error) {
	if len(body) < 8 || binary.BigEndian.Uint32(body) != ONFExperimenter ||
		binary.BigEndian.Uint32(body[4:]) != ONFTypeRoleStatus {
		return RoleStatus{}, false, nil
	}
	p := body[8:]
	if len(p) < 16 {
		return RoleStatus{}, true, fmt.Errorf("ONF role status body of %d bytes, want 16", len(p))
	}
	return RoleStatus{Role: binary.BigEndian.Uint32(p), Reason: p[4], Generation: binary.BigEndian.Uint64(p[8:])}, true, nil
}

// AppendONFRoleStatus appends an ONF role status message (for tests that
// play the switch).
func AppendONFRoleStatus(b []byte, xid uint32, rs RoleStatus) []byte {
	start := len(b)
	b = appendHeader(b, TypeExperimenter, xid)
	b = be32(b, ONFExperimenter)
	b = be32(b, ONFTypeRoleStatus)
	b = be32(b, rs.Role)
	b = append(b, rs.Reason, 0, 0, 0)
	b = be64(b, rs.Generation)
	return finish(b, start)
}
