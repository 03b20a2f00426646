package dp

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/voipsdn/voipsdn/controller/route"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// probeInterval bounds how often one address is probed per DP, so a burst
// of calls to an unknown endpoint costs one probe, not one per call leg.
const probeInterval = time.Second

// ProbeIP asks, on every voice VLAN of every connected DP, who has the
// address ip, so that a host the controller has not located yet
// (typically after a controller restart, before the host ARPs again)
// answers and is learned. For IPv4 the question is an ARP probe (RFC 5227:
// sender address 0.0.0.0), for IPv6 a neighbour solicitation from the
// unspecified address (as in duplicate address detection), both from the
// VLAN's Faucet MAC, so neither changes any host's neighbour cache. The
// answer passes the voip table, which copies ARP and ND to the controller.
// It returns without waiting for answers.
func (m *Manager) ProbeIP(ctx context.Context, ip netip.Addr) {
	m.mu.RLock()
	rs := make([]*runner, 0, len(m.dps))
	for _, h := range m.dps {
		rs = append(rs, h.r)
	}
	m.mu.RUnlock()
	for _, r := range rs {
		r.do(ctx, func(ctx context.Context) error { //nolint:errcheck // best effort: the caller retries
			r.probe(ctx, ip, m.opts.Clock.Now())
			return nil
		})
	}
}

// probe sends the question on each VLAN's ports, tagged where the port is
// tagged. It runs on the DP's goroutine.
func (r *runner) probe(ctx context.Context, ip netip.Addr, now time.Time) {
	ip = ip.Unmap()
	if r.st.sw == nil || r.st.qos == nil || r.st.prog == nil || !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
		return
	}
	if last, ok := r.probed[ip]; ok && now.Sub(last) < probeInterval {
		return
	}
	r.probed[ip] = now
	if len(r.probed) > 4096 {
		// Forget old entries now and then; the map only rate-limits.
		for a, t := range r.probed {
			if now.Sub(t) >= probeInterval {
				delete(r.probed, a)
			}
		}
	}
	var msgs []of13.Message
	for _, v := range r.st.dp.VLANs {
		if !voiceVLAN(r.st.qos, r.st.dp.Name, v.VID) {
			continue
		}
		for _, vlan := range []struct {
			vid   uint16
			ports []uint32
		}{{0, v.Untagged}, {v.VID, v.Tagged}} {
			if len(vlan.ports) == 0 {
				continue
			}
			var frame []byte
			if ip.Is4() {
				frame = route.ARPRequest(v.FaucetMAC, netip.IPv4Unspecified(), ip, vlan.vid)
			} else {
				frame = route.NeighborProbe(v.FaucetMAC, ip, vlan.vid)
			}
			po := of13.PacketOut{BufferID: of13.NoBuffer, InPort: of13.PortController, Data: frame}
			for _, p := range vlan.ports {
				po.Actions = append(po.Actions, of13.Output(p))
			}
			msgs = append(msgs, po)
		}
	}
	if len(msgs) == 0 {
		return
	}
	if err := r.st.sw.Send(ctx, msgs); err != nil {
		r.log.Debug("probing for a call endpoint failed", "ip", ip, "err", err)
	}
}

// voiceVLAN reports whether the voice policy covers VLAN vid on DP dp
// (apply_to's port restriction is ignored: any port may hold an endpoint).
func voiceVLAN(q *config.QoS, dp string, vid uint16) bool {
	a := q.ApplyTo
	switch {
	case a == nil:
		return true
	case len(a.DPs) > 0 && !slices.Contains(a.DPs, dp):
		return false
	case len(a.VLANs) > 0 && !slices.Contains(a.VLANs, vid):
		return false
	}
	return true
}
