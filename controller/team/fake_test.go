package team

import (
	"context"
	"fmt"
	"sync"

	"github.com/voipsdn/voipsdn/controller"
)

// fakeDP is a switch as the team's tests see it: it keeps roles and
// generation ids the way OpenFlow 1.3 says (and OVS does), for every
// instance's session with it, and records the order of events.
type fakeDP struct {
	mu     sync.Mutex
	id     uint64
	gen    uint64
	genSet bool
	master *fakeSession
	events []string
}

type fakeSession struct {
	dp     *fakeDP
	name   string
	role   controller.Role
	fenced bool
}

func (s *fakeSession) DPID() uint64 { return s.dp.id }

func (s *fakeSession) RequestRole(_ context.Context, r controller.Role, gen uint64) (controller.Role, uint64, error) {
	d := s.dp
	d.mu.Lock()
	defer d.mu.Unlock()
	if r == controller.RoleSlave || r == controller.RoleEqual {
		s.fenced = true
	}
	if r == controller.RoleMaster || r == controller.RoleSlave {
		if d.genSet && int64(gen-d.gen) < 0 {
			d.events = append(d.events, fmt.Sprintf("%s stale %s %d", s.name, r, gen))
			return 0, 0, fmt.Errorf("dp %d: %w", d.id, controller.ErrRoleStale)
		}
		d.gen, d.genSet = gen, true
	}
	switch r {
	case controller.RoleMaster:
		if d.master != nil && d.master != s {
			d.master.role = controller.RoleSlave
			d.master.fenced = true
		}
		d.master = s
		s.role, s.fenced = r, false
		d.events = append(d.events, fmt.Sprintf("%s master %d", s.name, gen))
	case controller.RoleSlave:
		if d.master == s {
			d.master = nil
		}
		s.role = r
	}
	return s.role, d.gen, nil
}

func (s *fakeSession) Fence() {
	s.dp.mu.Lock()
	s.fenced = true
	s.dp.mu.Unlock()
}

func (d *fakeDP) note(e string) {
	d.mu.Lock()
	d.events = append(d.events, e)
	d.mu.Unlock()
}

func (d *fakeDP) masterName() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.master == nil {
		return ""
	}
	return d.master.name
}
