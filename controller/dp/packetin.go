package dp

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// packetIn is a classified packet-in waiting in a DP's queue.
type packetIn struct {
	class  Class
	inPort uint32
	vid    uint16
	src    net.HardwareAddr
	// ip is the sender's address (ARP SPA, IPv4 or IPv6 source), if any.
	ip netip.Addr
	// data is the raw frame, kept only when the router wants it (l3Wants)
	// or for LLDP and LACP.
	data []byte
	lldp bool
	// lacp marks an LACPDU (lacp.go), whose frame is in data.
	lacp bool
}

// classify parses a packet-in and lets the pipeline decide its class. It
// runs on the session's goroutine, so it reads only the immutable DP config.
func classify(d *config.DP, pi *of13.PacketIn) (packetIn, error) {
	pkt, err := pipeline.ParsePacket(pi.Data)
	if err != nil {
		return packetIn{}, err
	}
	p := packetIn{inPort: pi.InPort()}
	c := pipeline.Classify(d, p.inPort, &pkt)
	switch c.Verdict {
	case pipeline.VerdictLearn:
		p.class = ClassLearn
	case pipeline.VerdictControl:
		p.class = ClassControl
	default:
		p.class = ClassIgnore
		return p, nil
	}
	p.vid = c.VID
	switch c.Control {
	case pipeline.ControlLLDP:
		p.lldp, p.data = true, slices.Clone(pi.Data)
		return p, nil
	case pipeline.ControlLACP:
		p.lacp, p.data = true, slices.Clone(pi.Data)
		return p, nil
	}
	if l3Wants(d, &pkt, c) {
		p.data = slices.Clone(pi.Data)
	}
	if c.Learnable {
		p.src = pkt.EthSrc
	}
	switch pkt.EthType {
	case pipeline.EthTypeARP:
		p.ip = pkt.ARPSPA
	case pipeline.EthTypeIPv4, pipeline.EthTypeIPv6:
		p.ip = pkt.IPSrc
	}
	return p, nil
}

// enqueue classifies pi and queues it for the DP's goroutine, subject to its
// class's rate limit and queue bound. It never blocks.
func (r *runner) enqueue(now time.Time, pi *of13.PacketIn) {
	ev := r.m.opts.Events
	p, err := classify(r.cfg.Load(), pi)
	if err != nil {
		r.ctr.parseErrors.Add(1)
		ev.PacketIn(r.id, ClassIgnore, true)
		return
	}
	c := &r.ctr.class[p.class]
	c.received.Add(1)
	if p.class == ClassIgnore {
		ev.PacketIn(r.id, p.class, true)
		return
	}
	if !r.limits[p.class].allow(now) {
		c.rateLimited.Add(1)
		ev.PacketIn(r.id, p.class, true)
		return
	}
	select {
	case r.queues[p.class] <- p:
		ev.PacketIn(r.id, p.class, false)
	default:
		c.queueFull.Add(1)
		ev.PacketIn(r.id, p.class, true)
	}
}

// handlePackets handles first and then whatever is queued, control-plane
// packets first, up to maxBatch, and sends the resulting changes behind one
// barrier.
func (r *runner) handlePackets(ctx context.Context, first packetIn) {
	start := time.Now()
	now := r.m.opts.Clock.Now()
	var b batch
	r.handlePacket(ctx, now, first, &b)
	for n := 1; n < maxBatch; n++ {
		select {
		case pk := <-r.queues[ClassControl]:
			r.handlePacket(ctx, now, pk, &b)
			continue
		default:
		}
		select {
		case pk := <-r.queues[ClassLearn]:
			r.handlePacket(ctx, now, pk, &b)
			continue
		default:
		}
		break
	}
	r.flush(ctx, &b)
	r.m.opts.Events.PacketInDone(r.id, time.Since(start))
}

// flush sends a batch of learning changes and starts a new one. A batch of
// learned hosts only is not waited for (sendAsync).
func (r *runner) flush(ctx context.Context, b *batch) {
	if err := r.sendAsync(ctx, b); err != nil {
		r.log.Warn("sending learned flows failed", "err", err)
	}
	*b = batch{}
}

// handlePacket learns the packet's source and address, adding the flow
// changes to p.
func (r *runner) handlePacket(ctx context.Context, now time.Time, pk packetIn, b *batch) {
	r.ctr.class[pk.class].handled.Add(1)
	if pk.lldp {
		r.lldpReceive(now, pk.inPort, pk.data)
		return
	}
	if pk.lacp {
		r.lacpPacket(ctx, now, pk.inPort, pk.data)
		return
	}
	if pk.data != nil {
		r.l3Packet(ctx, now, pk.inPort, pk.vid, pk.data, b)
	}
	if pk.vid == 0 || len(pk.src) != 6 {
		return
	}
	// A batch sends all its deletes before all its adds: a second change
	// to the same host goes in the next batch, behind the first's barrier.
	if b.has(pipeline.HostOwner(pk.vid, pk.src)) {
		r.flush(ctx, b)
	}
	r.learn(now, pk, b)
	if pk.ip.IsValid() {
		if _, ok := r.m.hosts.locateMAC(pk.src); ok {
			r.m.hosts.learnIP(pk.ip, pk.src)
		}
	}
}
