package controller

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// Open vSwitch honours roles and generation ids as voipsdn's team relies
// on: with two controllers on one bridge, a MASTER request with a higher
// generation id demotes the other master, whose flow-mods are then refused
// with OFPBRC_IS_SLAVE, and whose MASTER request with its old generation id
// is refused as OFPRRFC_STALE. Neither server gates writes here, so what
// is shown is the switch's own behaviour.
func TestOVSRolesAndGenerations(t *testing.T) {
	lab := ovslab.New(t)
	recA, recB := newRecorder(), newRecorder()
	roleA := make(chan Role, 8)
	srvA := &Server{Handler: recA, RoleChanged: func(_ *Switch, r Role, _ uint64) { roleA <- r }}
	srvB := &Server{Handler: recB}
	addrA, _ := testServer(t, srvA, "")
	addrB, _ := testServer(t, srvB, "")
	if _, err := lab.AddBridge("br0", dpid1, ovslab.WithController("tcp:"+addrA.String(), "tcp:"+addrB.String())); err != nil {
		t.Fatal(err)
	}
	a, b := recA.sw(t, 20*time.Second), recB.sw(t, 20*time.Second)
	ctx := ctxT(t)

	// A never asked: the switch calls it EQUAL.
	if r, _, err := a.RequestRole(ctx, RoleNoChange, 0); err != nil || r != RoleEqual {
		t.Fatalf("A's role before any request: %s, %v", r, err)
	}
	if r, g, err := a.RequestRole(ctx, RoleMaster, 100); err != nil || r != RoleMaster || g != 100 {
		t.Fatalf("A MASTER 100: %s %d %v", r, g, err)
	}
	if err := a.SendAndConfirm(ctx, testFlowMod(10)); err != nil {
		t.Fatalf("flow-mod from master A: %v", err)
	}
	if r, _, err := b.RequestRole(ctx, RoleSlave, 100); err != nil || r != RoleSlave {
		t.Fatalf("B SLAVE 100: %s %v", r, err)
	}
	if err := b.SendAndConfirm(ctx, testFlowMod(11)); !errors.Is(err, ErrIsSlave) {
		t.Fatalf("flow-mod from slave B: %v, want OFPBRC_IS_SLAVE", err)
	}

	// B takes over with a higher generation id; A is demoted by the switch.
	if r, g, err := b.RequestRole(ctx, RoleMaster, 101); err != nil || r != RoleMaster || g != 101 {
		t.Fatalf("B MASTER 101: %s %d %v", r, g, err)
	}
	// OVS tells a demoted OpenFlow 1.3 controller at once with ONF's role
	// status extension (a switch that does not would tell it by the
	// IS_SLAVE error below).
	select {
	case r := <-roleA:
		t.Logf("A told by the switch it is now %s (role status)", r)
	case <-time.After(2 * time.Second):
		t.Fatal("no role status from the switch within 2 s (Open vSwitch 3.1 sends ONF's)")
	}
	if r, _, err := a.RequestRole(ctx, RoleNoChange, 0); err != nil || r != RoleSlave {
		t.Fatalf("A after B's takeover: %s %v, want slave", r, err)
	}
	err := a.SendAndConfirm(ctx, testFlowMod(12))
	if !errors.Is(err, ErrIsSlave) {
		t.Fatalf("flow-mod from demoted A: %v, want OFPBRC_IS_SLAVE", err)
	}
	t.Logf("demoted master's flow-mod: %v", err)
	_, _, err = a.RequestRole(ctx, RoleMaster, 100)
	if !errors.Is(err, ErrRoleStale) {
		t.Fatalf("A MASTER with its old generation 100: %v, want OFPRRFC_STALE", err)
	}
	t.Logf("stale role request: %v", err)
	if r, _ := a.Role(); r != RoleSlave {
		t.Fatalf("A's recorded role %s, want slave", r)
	}
	if err := b.SendAndConfirm(ctx, testFlowMod(13)); err != nil {
		t.Fatalf("flow-mod from new master B: %v", err)
	}
	flows := strings.Join(dumpFlows(t, lab, "br0"), "\n")
	for _, p := range []string{"priority=10", "priority=13"} {
		if !strings.Contains(flows, p) {
			t.Errorf("flow %s missing:\n%s", p, flows)
		}
	}
	for _, p := range []string{"priority=11,", "priority=12,"} {
		if strings.Contains(flows, p) {
			t.Errorf("flow %s from a slave installed:\n%s", p, flows)
		}
	}
}
