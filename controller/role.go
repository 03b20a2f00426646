package controller

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Role is a controller's role at a switch (ofp_controller_role, OpenFlow
// 1.3 §6.3.7). A switch treats a controller that never asked as EQUAL.
type Role uint32

// Roles.
const (
	RoleNoChange Role = Role(wire.RoleNoChange)
	RoleEqual    Role = Role(wire.RoleEqual)
	RoleMaster   Role = Role(wire.RoleMaster)
	RoleSlave    Role = Role(wire.RoleSlave)
)

// String returns the role's name in lower case.
func (r Role) String() string {
	switch r {
	case RoleNoChange:
		return "nochange"
	case RoleEqual:
		return "equal"
	case RoleMaster:
		return "master"
	case RoleSlave:
		return "slave"
	}
	return "role" + strconv.Itoa(int(r))
}

// Errors a switch reports about roles; errors.Is matches them against an
// *OFError.
var (
	// ErrIsSlave is OFPBRC_IS_SLAVE: a slave sent a state-modifying message.
	ErrIsSlave error = &of13.Error{Type: of13.ErrBadRequest, Code: 10}
	// ErrRoleStale is OFPRRFC_STALE: a role request carried a generation id
	// older than one the switch has seen.
	ErrRoleStale error = &of13.Error{Type: of13.ErrRoleRequestFailed, Code: 0}
)

// ErrNotMaster is returned (wrapped) by a send in team mode while this
// controller is not the switch's master: the messages were not sent.
var ErrNotMaster = errors.New("not master of this switch: write withheld")

// RequestRole asks the switch for role with generation id gen (ignored by
// the switch for EQUAL and NOCHANGE) and returns the role and generation id
// the switch replied with. Reads work in every role.
//
// In team mode (Server.RoleGate) it also moves the write gate: writes stop
// before a request for SLAVE or EQUAL is even queued, and resume only once
// the switch has confirmed MASTER. A refused request (ErrRoleStale, say)
// leaves the gate closed.
func (s *Switch) RequestRole(ctx context.Context, role Role, gen uint64) (Role, uint64, error) {
	if role != RoleMaster && role != RoleNoChange {
		s.setRole(role, gen, false)
	}
	w := &waiter{want: wire.TypeRoleReply}
	err := s.request(ctx, w, func(b []byte, xid uint32) []byte {
		return wire.AppendRoleRequest(b, xid, uint32(role), gen)
	})
	if err != nil {
		if role == RoleMaster {
			s.setRole(RoleSlave, gen, false)
		}
		return 0, 0, err
	}
	r, g, err := wire.DecodeRole(w.body)
	if err != nil {
		return 0, 0, fmt.Errorf("dp %016x: role reply: %w", s.DPID(), err)
	}
	s.setRole(Role(r), g, role == RoleMaster && Role(r) == RoleMaster)
	return Role(r), g, nil
}

// Role returns the role the switch last confirmed or imposed, and its
// generation id (EQUAL and 0 before any request).
func (s *Switch) Role() (Role, uint64) {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return s.role, s.roleGen
}

// Fence closes the write gate at once, in team mode, until the next
// successful RequestRole for MASTER: the team calls it as soon as it can no
// longer be sure it is still master. Messages already queued still go out.
func (s *Switch) Fence() {
	s.sendMu.Lock()
	s.fenced = true
	s.sendMu.Unlock()
}

// setRole records a role. Taken under the send lock, so that a Send is
// wholly before or wholly after the gate moves.
func (s *Switch) setRole(r Role, gen uint64, master bool) {
	s.sendMu.Lock()
	s.role, s.roleGen = r, gen
	if master {
		s.fenced = false
	} else if r != RoleMaster {
		s.fenced = true
	}
	s.sendMu.Unlock()
}

// demoted records that the switch made this controller a slave by itself,
// and tells Server.RoleChanged. Called by the reader.
func (s *Switch) demoted(gen uint64, why string) {
	s.sendMu.Lock()
	was := s.role
	s.role, s.fenced = RoleSlave, true
	if gen != 0 {
		s.roleGen = gen
	}
	s.sendMu.Unlock()
	if was != RoleSlave {
		s.log.Warn("switch made this controller a slave", "why", why, "generation", gen)
	}
	if f := s.srv.RoleChanged; f != nil {
		f(s, RoleSlave, gen)
	}
}

// writeGate returns the error for a send of msgs in team mode while not
// master, nil otherwise: everything Send takes (flow, group and meter mods,
// packet-outs) is a message a slave may not send (OpenFlow 1.3 §6.3.7).
// Called with sendMu held.
func (s *Switch) writeGate(msgs []of13.Message) error {
	if !s.srv.RoleGate || !s.fenced || len(msgs) == 0 {
		return nil
	}
	s.srv.stats.withheld.Add(int64(len(msgs)))
	return fmt.Errorf("dp %016x: %s (role %s): %w", s.DPID(), msgs[0].Summary(), s.role, ErrNotMaster)
}
