package dp

import (
	"net"
	"net/netip"
	"sync"
)

// Location is where a host was learned.
type Location struct {
	DP   string
	DPID uint64
	Port uint32
	VID  uint16
	MAC  net.HardwareAddr
}

type macKey [6]byte

func keyOf(mac net.HardwareAddr) (k macKey) {
	copy(k[:], mac)
	return k
}

// hostIndex maps learned MACs and IPs to their locations across all DPs.
// DP goroutines write it; Locate reads it from any goroutine.
type hostIndex struct {
	mu    sync.RWMutex
	byMAC map[macKey]Location
	byIP  map[netip.Addr]macKey
}

func newHostIndex() *hostIndex {
	return &hostIndex{byMAC: map[macKey]Location{}, byIP: map[netip.Addr]macKey{}}
}

func (h *hostIndex) learnMAC(loc Location) {
	h.mu.Lock()
	h.byMAC[keyOf(loc.MAC)] = loc
	h.mu.Unlock()
}

func (h *hostIndex) learnIP(ip netip.Addr, mac net.HardwareAddr) {
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
		return
	}
	h.mu.Lock()
	h.byIP[ip.Unmap()] = keyOf(mac)
	h.mu.Unlock()
}

// forget removes mac if it is still located on DP dpid in VLAN vid (it may
// have been learned elsewhere since), along with its IPs.
func (h *hostIndex) forget(dpid uint64, vid uint16, mac net.HardwareAddr) {
	k := keyOf(mac)
	h.mu.Lock()
	defer h.mu.Unlock()
	if loc, ok := h.byMAC[k]; !ok || loc.DPID != dpid || loc.VID != vid {
		return
	}
	delete(h.byMAC, k)
	for ip, m := range h.byIP {
		if m == k {
			delete(h.byIP, ip)
		}
	}
}

// forgetDP removes every host learned on DP dpid.
func (h *hostIndex) forgetDP(dpid uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, loc := range h.byMAC {
		if loc.DPID == dpid {
			delete(h.byMAC, k)
		}
	}
	for ip, k := range h.byIP {
		if _, ok := h.byMAC[k]; !ok {
			delete(h.byIP, ip)
		}
	}
}

func (h *hostIndex) locateMAC(mac net.HardwareAddr) (Location, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	loc, ok := h.byMAC[keyOf(mac)]
	return loc, ok
}

func (h *hostIndex) locateIP(ip netip.Addr) (Location, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	k, ok := h.byIP[ip.Unmap()]
	if !ok {
		return Location{}, false
	}
	loc, ok := h.byMAC[k]
	return loc, ok
}

func (h *hostIndex) count(dpid uint64) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, loc := range h.byMAC {
		if loc.DPID == dpid {
			n++
		}
	}
	return n
}
