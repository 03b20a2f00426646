package dp

import (
	"net"
	"net/netip"
	"slices"
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

// maxIPsPerMAC bounds the addresses remembered for one MAC, so a host
// that sends from ever new addresses cannot grow the index without end.
const maxIPsPerMAC = 16

// hostIndex maps learned MACs and IPs to their locations across all DPs.
// DP goroutines write it; Locate reads it from any goroutine. Each MAC
// keeps its addresses, so forgetting a host costs its own addresses, not a
// walk over every address known.
type hostIndex struct {
	mu    sync.RWMutex
	byMAC map[macKey]hostRec
	byIP  map[netip.Addr]macKey
	perDP map[uint64]int
	// located, if set, hears of each address newly located (Options.HostLocated).
	located func(netip.Addr)
}

// hostRec is one learned MAC: where it is, and the addresses seen from it.
type hostRec struct {
	loc Location
	ips []netip.Addr
}

func newHostIndex() *hostIndex {
	return &hostIndex{byMAC: map[macKey]hostRec{}, byIP: map[netip.Addr]macKey{}, perDP: map[uint64]int{}}
}

func sameLocation(a, b *Location) bool {
	return a.DPID == b.DPID && a.Port == b.Port && a.VID == b.VID && a.DP == b.DP
}

func (h *hostIndex) learnMAC(loc Location) {
	k := keyOf(loc.MAC)
	h.mu.RLock()
	rec, ok := h.byMAC[k]
	h.mu.RUnlock()
	if ok && sameLocation(&rec.loc, &loc) {
		return // relearned where it was: nothing to write
	}
	loc.MAC = net.HardwareAddr(k[:])
	h.mu.Lock()
	rec, ok = h.byMAC[k]
	if ok {
		h.perDP[rec.loc.DPID]--
	}
	rec.loc = loc
	h.byMAC[k] = rec
	h.perDP[loc.DPID]++
	h.mu.Unlock()
}

func (h *hostIndex) learnIP(ip netip.Addr, mac net.HardwareAddr) {
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
		return
	}
	ip, k := ip.Unmap(), keyOf(mac)
	h.mu.RLock()
	old, ok := h.byIP[ip]
	h.mu.RUnlock()
	if ok && old == k {
		return
	}
	if h.addIP(ip, k) && h.located != nil {
		h.located(ip)
	}
}

// addIP records ip as k's, if k is located, and reports whether that
// is new.
func (h *hostIndex) addIP(ip netip.Addr, k macKey) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec, known := h.byMAC[k]
	if !known {
		return false
	}
	if old, ok := h.byIP[ip]; ok {
		if old == k {
			return false
		}
		if o, ok := h.byMAC[old]; ok {
			o.ips = slices.DeleteFunc(o.ips, func(a netip.Addr) bool { return a == ip })
			h.byMAC[old] = o
		}
	}
	if len(rec.ips) >= maxIPsPerMAC {
		delete(h.byIP, rec.ips[0])
		rec.ips = slices.Delete(rec.ips, 0, 1)
	}
	rec.ips = append(rec.ips, ip)
	h.byMAC[k] = rec
	h.byIP[ip] = k
	return true
}

// forget removes mac if it is still located on DP dpid in VLAN vid (it may
// have been learned elsewhere since), along with its IPs.
func (h *hostIndex) forget(dpid uint64, vid uint16, mac net.HardwareAddr) {
	k := keyOf(mac)
	h.mu.Lock()
	defer h.mu.Unlock()
	rec, ok := h.byMAC[k]
	if !ok || rec.loc.DPID != dpid || rec.loc.VID != vid {
		return
	}
	h.drop(k, rec)
}

// drop removes a MAC and its addresses. Called with mu held.
func (h *hostIndex) drop(k macKey, rec hostRec) {
	delete(h.byMAC, k)
	for _, ip := range rec.ips {
		if h.byIP[ip] == k {
			delete(h.byIP, ip)
		}
	}
	if h.perDP[rec.loc.DPID]--; h.perDP[rec.loc.DPID] <= 0 {
		delete(h.perDP, rec.loc.DPID)
	}
}

// forgetDP removes every host learned on DP dpid.
func (h *hostIndex) forgetDP(dpid uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, rec := range h.byMAC {
		if rec.loc.DPID == dpid {
			h.drop(k, rec)
		}
	}
}

func (h *hostIndex) locateMAC(mac net.HardwareAddr) (Location, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	rec, ok := h.byMAC[keyOf(mac)]
	return rec.loc, ok
}

func (h *hostIndex) locateIP(ip netip.Addr) (Location, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	k, ok := h.byIP[ip.Unmap()]
	if !ok {
		return Location{}, false
	}
	rec, ok := h.byMAC[k]
	return rec.loc, ok
}

func (h *hostIndex) count(dpid uint64) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.perDP[dpid]
}
