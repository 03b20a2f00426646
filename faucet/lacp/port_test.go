package lacp

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func partnerPDU(st State) PDU {
	return PDU{Version: 1, Actor: Info{SystemPriority: 65535, System: [6]byte{2, 0, 0, 0, 0, 0xaa}, Key: 9, Port: 2, PortPriority: 255, State: st}}
}

// TestPortLifecycle follows Faucet's states for one port: cold start,
// up without LACPDUs (INITIALIZING), a partner out of sync (NO_SYNC), in
// sync (UP, forwarding), silence past lacp_timeout, and the port going down.
func TestPortLifecycle(t *testing.T) {
	p := NewPort(Config{LAG: 7, PortID: 101, PortPriority: 255, RespInterval: time.Second})
	if p.Actor != ActorNotConfigured || p.Role != RoleNotConfigured || p.Forwarding() {
		t.Fatalf("new port: %v %v", p.Actor, p.Role)
	}
	p.Running = true
	if !p.Update(t0, false, nil) || p.Actor != ActorInit || p.Role != RoleSelected || p.Forwarding() {
		t.Fatalf("port up: %v %v", p.Actor, p.Role)
	}
	reply, changed := p.Receive(t0, partnerPDU(StateActivity|StateAggregation))
	if !reply || !changed || p.Actor != ActorNoSync || p.Forwarding() {
		t.Fatalf("unsynced partner: reply %v changed %v %v", reply, changed, p.Actor)
	}
	synced := partnerPDU(StateActivity | StateAggregation | StateSync)
	reply, changed = p.Receive(t0.Add(100*time.Millisecond), synced)
	if !reply || !changed || p.Actor != ActorUp || !p.Forwarding() {
		t.Fatalf("synced partner: reply %v changed %v %v", reply, changed, p.Actor)
	}
	// The same LACPDU again within lacp_resp_interval: no answer, no change.
	reply, changed = p.Receive(t0.Add(500*time.Millisecond), synced)
	if reply || changed {
		t.Fatalf("repeat: reply %v changed %v", reply, changed)
	}
	// ... and after it: answered again.
	if reply, _ = p.Receive(t0.Add(1200*time.Millisecond), synced); !reply {
		t.Fatal("repeat after lacp_resp_interval not answered")
	}
	if p.Expired(t0.Add(30*time.Second), 30*time.Second) {
		t.Fatal("expired before lacp_timeout")
	}
	if !p.Expired(t0.Add(32*time.Second), 30*time.Second) {
		t.Fatal("not expired after lacp_timeout")
	}
	p.Update(t0.Add(32*time.Second), false, nil)
	if p.Actor != ActorInit || p.Last != nil || p.Forwarding() {
		t.Fatalf("after expiry: %v", p.Actor)
	}
	p.Running = false
	p.Update(t0.Add(33*time.Second), false, nil)
	if p.Actor != ActorNone || p.Forwarding() {
		t.Fatalf("port down: %v", p.Actor)
	}
	if p.Changes != 5 {
		t.Errorf("changes %d, want 5", p.Changes)
	}
}

func TestForcedRoles(t *testing.T) {
	for _, c := range []struct {
		cfg      Config
		role     Role
		flags    State
		forwards bool
	}{
		{Config{}, RoleSelected, StateSync | StateCollecting | StateDistributing, true},
		{Config{Forced: RoleUnselected}, RoleUnselected, 0, false},
		{Config{Forced: RoleUnselected, CollectAndDistribute: true}, RoleUnselected, StateSync | StateCollecting | StateDistributing, false},
		// lacp_standby applies only when the DP is not the LAG's nominee,
		// which a standalone DP always is.
		{Config{Standby: true}, RoleSelected, StateSync | StateCollecting | StateDistributing, true},
	} {
		p := NewPort(c.cfg)
		p.Running = true
		p.Receive(t0, partnerPDU(StateSync))
		if p.Role != c.role || p.Forwarding() != c.forwards {
			t.Errorf("%+v: role %v forwarding %v", c.cfg, p.Role, p.Forwarding())
		}
		if got := p.Reply([6]byte{}, nil).Actor.State & (StateSync | StateCollecting | StateDistributing); got != c.flags {
			t.Errorf("%+v: flags %v, want %v", c.cfg, got, c.flags)
		}
	}
}

// TestReply checks Faucet's answer: its own actor information, the
// heard actor copied back as partner, short timeout and aggregation set.
func TestReply(t *testing.T) {
	p := NewPort(Config{LAG: 7, PortID: 101, PortPriority: 255, Active: true})
	p.Running = true
	heard := wantPDU.Partner
	pdu := PDU{Version: 1, Actor: heard}
	p.Receive(t0, pdu)
	got := p.Reply([6]byte{0x0e, 0, 0, 0, 0, 1}, p.Last)
	if got != wantPDU {
		t.Fatalf("reply:\n got %+v\nwant %+v", got, wantPDU)
	}
	passive := NewPort(Config{LAG: 7})
	passive.Update(t0, false, nil)
	r := passive.Reply([6]byte{}, nil)
	if r.Actor.State&StateActivity != 0 || r.Partner != (Info{}) {
		t.Fatalf("passive, unheard: %+v", r)
	}
}
