package dp

import (
	"bytes"
	"context"
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/controller/route"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// l3State is a DP's routing: the pure route.Router (ARP/ND/ICMP for the
// VIPs, neighbour resolution, RIB and FIB) and the DP's BGP speakers. The
// DP's goroutine owns it; the speakers' goroutines only queue routes and
// ask the DP's goroutine to take them (l3bgp.go).
type l3State struct {
	// router is nil when the DP routes nothing (no faucet_vips).
	router *route.Router
	// bgpRoutes are the best BGP routes, kept to rebuild the RIB when the
	// configuration changes.
	bgpRoutes map[netip.Prefix]netip.Addr
	speakers  []*l3Speaker
	stop      func()
	// runCtx is the DP goroutine's context (set by l3Start): speakers that
	// a reload starts live as long as the DP, not as long as the reload.
	runCtx context.Context
	// bgpKey is what the running speakers were started with (bgpKey).
	bgpKey string
}

// routed reports whether d routes at all: some VLAN has faucet_vips.
func routed(d *config.DP) bool {
	for _, v := range d.VLANs {
		if len(v.FaucetVIPs) > 0 {
			return true
		}
	}
	return false
}

// newL3 returns the routing state of d; its router is nil when d does not
// route.
func newL3(d *config.DP, now time.Time) *l3State {
	l := &l3State{bgpRoutes: map[netip.Prefix]netip.Addr{}}
	if routed(d) {
		l.router = route.NewRouter(d, route.RouterConfig{}, now)
	}
	return l
}

// router returns the DP's router, nil when it routes nothing.
func (r *runner) router() *route.Router {
	if r.st.l3 == nil {
		return nil
	}
	return r.st.l3.router
}

// l3Wants reports whether a packet-in is for the router, so classify keeps
// its frame: ARP, ND and ICMP for the VIPs, and IP sent to the Faucet MAC
// (routed packets for a host being resolved).
func l3Wants(d *config.DP, pkt *pipeline.Packet, c pipeline.Classification) bool {
	switch c.Verdict {
	case pipeline.VerdictControl:
		return c.Control == pipeline.ControlARP || c.Control == pipeline.ControlND || c.Control == pipeline.ControlICMP
	case pipeline.VerdictLearn:
		v := d.VLAN(c.VID)
		return v != nil && len(v.FaucetVIPs) > 0 && bytes.Equal(pkt.EthDst, v.FaucetMAC) &&
			(pkt.EthType == pipeline.EthTypeIPv4 || pkt.EthType == pipeline.EthTypeIPv6)
	}
	return false
}

// l3Packet hands a packet-in to the router and applies its answer: frames
// are sent at once, FIB changes join the batch b.
func (r *runner) l3Packet(ctx context.Context, now time.Time, inPort uint32, vid uint16, data []byte, b *batch) {
	if r.router() == nil || vid == 0 {
		return
	}
	r.l3Apply(ctx, r.router().HandlePacket(now, inPort, vid, data), b)
}

// l3Tick sends the router's due probes and removes neighbours that went
// silent. It runs from the DP's timer. Without a switch it waits: probes
// would be lost, yet count as attempts and lengthen the backoff.
func (r *runner) l3Tick(ctx context.Context, now time.Time) {
	if r.router() == nil || r.st.sw == nil {
		return
	}
	var b batch
	r.l3Apply(ctx, r.router().Tick(now), &b)
	if err := r.send(ctx, &b); err != nil {
		r.log.Warn("sending route changes failed", "err", err)
	}
}

// l3Apply turns a router output into packet-outs and per-prefix route
// owners. A prefix changed twice in one batch flushes the batch first: the
// owner cache diffs against confirmed state.
func (r *runner) l3Apply(ctx context.Context, out route.Output, b *batch) {
	r.l3Send(ctx, out.Packets)
	for _, c := range out.FIB {
		owner := pipeline.RouteOwner(c.Prefix)
		if b.has(owner) {
			r.flush(ctx, b)
		}
		if c.Delete {
			if o, ok := r.st.learned.DeleteRoute(c.Prefix); ok {
				r.setOwner(b, o, nil)
			}
			continue
		}
		of, err := r.st.learned.SetRoute(r.st.dp, pipeline.FIBEntry{Prefix: c.Prefix, VID: c.Entry.Neighbor.VID, MAC: c.Entry.Neighbor.MAC})
		if err != nil {
			r.log.Warn("route not programmed", "prefix", c.Prefix, "err", err)
			continue
		}
		r.setOwner(b, of.Owner, of.Flows)
	}
}

// l3Send sends the router's frames as packet-outs, without a barrier:
// they are answers and probes, and a lost one is retried by the router.
func (r *runner) l3Send(ctx context.Context, pkts []route.Packet) {
	if r.st.sw == nil || len(pkts) == 0 {
		return
	}
	msgs := make([]of13.Message, 0, len(pkts))
	for _, p := range pkts {
		po := of13.PacketOut{BufferID: of13.NoBuffer, InPort: of13.PortController, Data: p.Data}
		for _, port := range p.Ports {
			po.Actions = append(po.Actions, of13.Output(port))
		}
		msgs = append(msgs, po)
	}
	if err := r.st.sw.Send(ctx, msgs); err != nil {
		r.log.Warn("sending packet-outs failed", "err", err)
	}
}

// l3Reconfigure rebuilds the router for the DP's new configuration,
// keeping the resolved neighbours, and brings the FIB owners in line with
// it (a reload may add or drop VIPs and static routes). BGP speakers whose
// configuration and announcements are unchanged keep running with their
// routes; otherwise they are restarted (their peers reconnect).
func (r *runner) l3Reconfigure(ctx context.Context, now time.Time) {
	old := r.st.l3
	nl := newL3(r.st.dp, now)
	key := bgpKey(r.st.dp, nl.router)
	keep := false
	if old != nil {
		nl.runCtx = old.runCtx
		keep = old.stop != nil && old.bgpKey == key
		if old.router != nil && nl.router != nil {
			for _, nb := range old.router.Resolver().Neighbors() {
				nl.router.Adopt(now, nb)
			}
		}
		if keep {
			nl.speakers, nl.stop, nl.bgpKey = old.speakers, old.stop, old.bgpKey
			if nl.router != nil {
				for p, nh := range old.bgpRoutes {
					nl.bgpRoutes[p] = nh
					nl.router.SetRoute(now, route.Route{Prefix: p, NextHop: nh, Source: route.SourceBGP})
				}
			}
		} else {
			old.stopSpeakers()
		}
	}
	r.st.l3 = nl
	if !keep {
		r.startSpeakers(nl)
	}
	want := map[netip.Prefix]route.Entry{}
	if nl.router != nil {
		for _, e := range nl.router.FIB() {
			want[e.Prefix] = e
		}
	}
	var out route.Output
	for _, e := range r.st.learned.Routes() {
		if _, ok := want[e.Prefix]; !ok {
			out.FIB = append(out.FIB, route.FIBChange{Prefix: e.Prefix, Delete: true})
		}
	}
	for p, e := range want {
		out.FIB = append(out.FIB, route.FIBChange{Prefix: p, Entry: e})
	}
	var b batch
	r.l3Apply(ctx, out, &b)
	if err := r.send(ctx, &b); err != nil {
		r.log.Warn("sending route changes failed", "err", err)
	}
}
