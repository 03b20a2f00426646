package pipeline

import (
	"slices"
	"testing"
	"time"
)

// Hosts expire in learning order; a host refreshed since it was first
// learned lives a timeout from its refresh, not from its first learning.
func TestExpireOrderAndRefresh(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	timeout := time.Duration(s.dp.Timeout) * time.Second
	guard := time.Duration(s.dp.CacheUpdateGuardTime) * time.Second
	s.learned.Learn(s.now, s.dp, 1, 100, mac(h1))
	s.advance(guard + time.Second)
	s.learned.Learn(s.now, s.dp, 2, 100, mac(h2))
	s.advance(guard + time.Second)
	if r := s.learned.Learn(s.now, s.dp, 1, 100, mac(h1)); r.Outcome != OutcomeRefreshed {
		t.Fatalf("refresh of h1: %v", r.Outcome)
	}
	refreshed := s.now

	// A timeout after h1's first learning: nothing (h1 was refreshed, h2
	// is younger).
	s.now = refreshed.Add(-2*(guard+time.Second) + timeout + time.Second)
	if got := s.learned.Expire(s.now, s.dp); len(got) != 0 {
		t.Fatalf("expired %v; h1 was refreshed and h2 is younger", got)
	}
	// A timeout after h2: h2 only.
	s.now = refreshed.Add(-(guard + time.Second) + timeout + time.Second)
	if got := s.learned.Expire(s.now, s.dp); !slices.Equal(got, []string{HostOwner(100, mac(h2))}) {
		t.Fatalf("expired %v, want h2", got)
	}
	// A timeout after h1's refresh: h1.
	s.now = refreshed.Add(timeout + time.Second)
	if got := s.learned.Expire(s.now, s.dp); !slices.Equal(got, []string{HostOwner(100, mac(h1))}) {
		t.Fatalf("expired %v, want h1", got)
	}
	if len(s.learned.Hosts()) != 0 {
		t.Fatalf("hosts left: %v", s.learned.Hosts())
	}
}

// A configuration that takes a host's port off its VLAN expires the host at
// the next Expire, however young it is.
func TestExpireAfterConfigChange(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	s.learned.Learn(s.now, s.dp, 1, 100, mac(h1))
	s.learned.Learn(s.now, s.dp, 2, 100, mac(h2))
	if got := s.learned.Expire(s.now, s.dp); len(got) != 0 {
		t.Fatalf("expired %v at once", got)
	}
	moved := loadDP(t, `
vlans:
  office: {vid: 100}
  voice: {vid: 200}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: voice}
      2: {native_vlan: office}
`)
	if got := s.learned.Expire(s.now, moved); !slices.Equal(got, []string{HostOwner(100, mac(h1))}) {
		t.Fatalf("expired %v after port 1 left vlan 100, want h1", got)
	}
}
