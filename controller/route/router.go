package route

import (
	"bytes"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
)

// Packet is a frame for the caller to send as a packet-out, out of each
// of Ports (the frame already carries the tag, or none, those ports need).
type Packet struct {
	Ports []uint32
	Data  []byte
}

// FIBChange is a change to one prefix's FIB entry: set it to Entry, or
// delete it.
type FIBChange struct {
	Prefix netip.Prefix
	Entry  Entry
	Delete bool
}

// Output is what a Router call asks the caller to do: send Packets and
// apply FIB changes (one owner per prefix, so they never reprogram the
// whole FIB).
type Output struct {
	Packets []Packet
	FIB     []FIBChange
}

func (o *Output) merge(x Output) {
	o.Packets = append(o.Packets, x.Packets...)
	o.FIB = append(o.FIB, x.FIB...)
}

// RouterConfig tunes a Router; zero fields take Faucet's defaults.
type RouterConfig struct {
	Backoff Backoff
	// MaxHostRetries is how many probes a host that a packet was sent to
	// gets before the controller gives up (max_host_fib_retry_count).
	MaxHostRetries int
	// MaxPendingHosts caps the hosts being resolved for packets, so a scan
	// of a connected subnet costs bounded memory and probes
	// (proactive_arp_limit / proactive_nd_limit).
	MaxPendingHosts int
	// AdvertiseInterval is how often router advertisements are flooded
	// from each link-local IPv6 VIP (advertise_interval); negative
	// disables them. Zero takes the DP's.
	AdvertiseInterval time.Duration
}

// Router is one datapath's L3 control plane, after Faucet's
// ValveRouteManager: it answers ARP, ND and ICMP echo for the VIPs, learns
// neighbours from their ARP/ND and IP packets, resolves static and BGP next
// hops and hosts that packets are routed to, and keeps the FIB (host
// routes and resolved prefixes) as per-prefix changes.
//
// It is pure: time is an argument, frames come in and go out as bytes. It
// is not safe for concurrent use; the DP's goroutine owns it.
type Router struct {
	dp  *config.DP
	cfg RouterConfig
	// res resolves next hops and keeps every learned neighbour; hostRes
	// resolves hosts that packets were sent to. Each has its own probe
	// budget, so a sweep of dead hosts never delays a gateway's probes.
	res     *Resolver
	hostRes *Resolver
	rib     *RIB
	fib     map[netip.Prefix]Entry
	// hosts are wanted for packets, not as next hops, by VLAN; their FIB
	// entry drops packets until they resolve.
	hosts map[netip.Addr]uint16
	// lastAdvert is when router advertisements were last flooded; zero
	// until the first Tick, which floods them at once, as Faucet does
	// when a datapath connects.
	lastAdvert time.Time
}

// NewRouter returns the router of dp with its static routes in the RIB;
// call Tick to start resolving their next hops.
func NewRouter(dp *config.DP, cfg RouterConfig, now time.Time) *Router {
	if cfg.Backoff == (Backoff{}) {
		cfg.Backoff = DefaultBackoff()
		if dp.MaxResolveBackoffTime > 0 {
			cfg.Backoff.Max = time.Duration(dp.MaxResolveBackoffTime) * time.Second
		}
		if dp.ARPNeighborTimeout > 0 {
			cfg.Backoff.Expire = time.Duration(dp.ARPNeighborTimeout) * time.Second
		}
		if dp.MaxHostsPerResolveCycle > 0 {
			// Faucet's budget is per VLAN and resolve cycle.
			n := 0
			for _, v := range dp.VLANs {
				if len(v.FaucetVIPs) > 0 {
					n++
				}
			}
			cfg.Backoff.Budget = dp.MaxHostsPerResolveCycle * max(n, 1)
		}
	}
	if cfg.MaxHostRetries == 0 {
		cfg.MaxHostRetries = max(dp.MaxHostFIBRetryCount, 3)
	}
	if cfg.AdvertiseInterval == 0 {
		cfg.AdvertiseInterval = time.Duration(dp.AdvertiseInterval) * time.Second
		if dp.AdvertiseInterval <= 0 {
			cfg.AdvertiseInterval = -1
		}
	}
	if cfg.MaxPendingHosts == 0 {
		cfg.MaxPendingHosts = 1024
	}
	var conn []Connected
	for _, v := range dp.VLANs {
		for _, vip := range v.FaucetVIPs {
			conn = append(conn, Connected{Prefix: vip.Masked(), VID: v.VID, VIP: vip.Addr()})
		}
	}
	r := &Router{dp: dp, cfg: cfg, res: NewResolver(cfg.Backoff), hostRes: NewResolver(cfg.Backoff), rib: NewRIB(conn),
		fib: map[netip.Prefix]Entry{}, hosts: map[netip.Addr]uint16{}}
	for _, v := range dp.VLANs {
		for _, rt := range v.Routes {
			r.SetRoute(now, Route{Prefix: rt.Dst, NextHop: rt.Gateway, Source: SourceStatic})
		}
	}
	return r
}

// Connected lists the DP's connected subnets (its VIP prefixes).
func (r *Router) Connected() []Connected { return slices.Clone(r.rib.connected) }

// Routes lists the best route of every prefix.
func (r *Router) Routes() []Route { return r.rib.Routes() }

// FIB lists the programmed entries, sorted by prefix.
func (r *Router) FIB() []Entry {
	out := make([]Entry, 0, len(r.fib))
	for _, e := range r.fib {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return comparePrefix(a.Prefix, b.Prefix) })
	return out
}

// Resolver exposes the neighbour state, for status and tests.
func (r *Router) Resolver() *Resolver { return r.res }

// SetRoute adds or replaces a static or BGP route. A next hop outside the
// connected subnets can never be resolved: the route stays in the RIB
// without a FIB entry, as Faucet ignores it.
func (r *Router) SetRoute(now time.Time, rt Route) Output {
	if _, ok := r.rib.ConnectedFor(rt.NextHop); !ok || r.isVIP(rt.NextHop) || r.isConnectedPrefix(rt.Prefix) {
		return Output{}
	}
	before, after, changed := r.rib.Set(rt)
	if !changed {
		return Output{}
	}
	return r.afterChange(now, rt.Prefix.Masked(), before, after)
}

// DeleteRoute removes one source's route for a prefix (a BGP withdrawal,
// a static route removed by a reload).
func (r *Router) DeleteRoute(now time.Time, p netip.Prefix, s Source) Output {
	before, after, changed := r.rib.Delete(p, s)
	if !changed {
		return Output{}
	}
	return r.afterChange(now, p.Masked(), before, after)
}

func (r *Router) afterChange(now time.Time, p netip.Prefix, before, after Route) Output {
	if nh := before.NextHop; nh.IsValid() && !r.rib.NextHopUsed(nh) {
		r.res.Unwant(nh)
	}
	if nh := after.NextHop; nh.IsValid() {
		if c, ok := r.rib.ConnectedFor(nh); ok {
			if _, resolved := r.res.Lookup(nh); !resolved {
				r.res.Want(nh, c.VID, now)
			}
		}
	}
	var out Output
	r.refresh(p, &out)
	return out
}

// refresh recomputes one prefix's FIB entry and reports a change.
func (r *Router) refresh(p netip.Prefix, out *Output) {
	want, ok := r.rib.Entry(p, r.res.Lookup)
	if !ok && p.IsSingleIP() {
		if _, routed := r.rib.Best(p); !routed {
			if nb, resolved := r.res.Lookup(p.Addr()); resolved {
				want, ok = Entry{Prefix: p, NextHop: p.Addr(), Neighbor: nb}, true
			} else if vid, pending := r.hosts[p.Addr()]; pending {
				want, ok = Entry{Prefix: p, NextHop: p.Addr(), Neighbor: Neighbor{IP: p.Addr(), VID: vid}}, true
			}
		}
	}
	have, had := r.fib[p]
	switch {
	case ok && had && have.NextHop == want.NextHop && bytes.Equal(have.Neighbor.MAC, want.Neighbor.MAC) && have.Neighbor.VID == want.Neighbor.VID:
	case ok:
		r.fib[p] = want
		out.FIB = append(out.FIB, FIBChange{Prefix: p, Entry: want})
	case had:
		delete(r.fib, p)
		out.FIB = append(out.FIB, FIBChange{Prefix: p, Delete: true})
	}
}

// neighbourChanged refreshes the host route of ip and every route through it.
func (r *Router) neighbourChanged(ip netip.Addr, out *Output) {
	r.refresh(netip.PrefixFrom(ip, ip.BitLen()), out)
	for _, p := range r.rib.Using(ip) {
		r.refresh(p, out)
	}
}

// learn records a neighbour seen in a packet from a connected subnet of
// its VLAN.
func (r *Router) learn(now time.Time, v *config.VLAN, ip netip.Addr, mac net.HardwareAddr, port uint32, out *Output) {
	if !ip.IsValid() || ip.IsUnspecified() || len(mac) != 6 || r.isVIP(ip) || !inSubnets(v, ip) {
		return
	}
	_, pending := r.hosts[ip]
	if pending {
		delete(r.hosts, ip)
		r.hostRes.Unwant(ip)
	}
	if r.res.Learned(Neighbor{IP: ip, MAC: slices.Clone(mac), VID: v.VID, Port: port}, now) || pending {
		r.neighbourChanged(ip, out)
	}
}

// HandlePacket handles a packet-in received on inPort in VLAN vid: ARP,
// ND and echo requests for the VIPs are answered, neighbours learned, and a
// packet for an unresolved host in a connected subnet starts resolving it.
func (r *Router) HandlePacket(now time.Time, inPort uint32, vid uint16, frame []byte) Output {
	var out Output
	v := r.dp.VLAN(vid)
	if v == nil || len(v.FaucetVIPs) == 0 || len(v.FaucetMAC) != 6 {
		return out
	}
	pkt, err := pipeline.ParsePacket(frame)
	if err != nil || len(pkt.EthSrc) != 6 {
		return out
	}
	tag := portTag(v, inPort)
	switch pkt.EthType {
	case pipeline.EthTypeARP:
		r.learn(now, v, pkt.ARPSPA, pkt.EthSrc, inPort, &out)
		if pkt.ARPOp == 1 && isVLANVIP(v, pkt.ARPTPA) && inSubnets(v, pkt.ARPSPA) {
			out.Packets = append(out.Packets, Packet{Ports: []uint32{inPort},
				Data: ARPReply(v.FaucetMAC, pkt.ARPTPA, pkt.EthSrc, pkt.ARPSPA, tag)})
		}
		return out
	case pipeline.EthTypeIPv4, pipeline.EthTypeIPv6:
	default:
		return out
	}
	if pkt.IPProto == pipeline.IPProtoICMPv6 {
		switch pkt.ICMPType {
		case pipeline.ICMPv6NeighborSolicit:
			r.learn(now, v, pkt.IPSrc, pkt.EthSrc, inPort, &out)
			if isVLANVIP(v, pkt.NDTarget) && inSubnets(v, pkt.IPSrc) {
				out.Packets = append(out.Packets, Packet{Ports: []uint32{inPort},
					Data: NeighborAdvertisement(v.FaucetMAC, pkt.NDTarget, pkt.EthSrc, pkt.IPSrc, tag)})
			}
			return out
		case pipeline.ICMPv6NeighborAdvert:
			r.learn(now, v, pkt.NDTarget, pkt.EthSrc, inPort, &out)
			return out
		case pipeline.ICMPv6RouterSolicit:
			out.Packets = append(out.Packets, r.routerSolicit(v, pkt, frame, inPort, tag)...)
			return out
		case pipeline.ICMPv6RouterAdvert:
			return out
		}
	}
	if !bytes.Equal(pkt.EthDst, v.FaucetMAC) {
		return out
	}
	r.learn(now, v, pkt.IPSrc, pkt.EthSrc, inPort, &out)
	if r.isVIP(pkt.IPDst) {
		echo := pkt.IPProto == pipeline.IPProtoICMP && pkt.ICMPType == 8 ||
			pkt.IPProto == pipeline.IPProtoICMPv6 && pkt.ICMPType == 128
		if echo {
			if reply, err := EchoReply(frame, v.FaucetMAC); err == nil {
				out.Packets = append(out.Packets, Packet{Ports: []uint32{inPort}, Data: retag(reply, tag)})
			}
		}
		return out
	}
	r.resolveFor(now, v, pkt.IPDst, &out)
	return out
}

// resolveFor starts resolving dst, a host in a subnet connected on a VLAN
// routed with v that a packet was sent to (Faucet's proactive learning).
func (r *Router) resolveFor(now time.Time, v *config.VLAN, dst netip.Addr, out *Output) {
	if !dst.IsValid() {
		return
	}
	var to *config.VLAN
	for _, x := range routedWith(r.dp, v) {
		if inSubnets(x, dst) {
			to = x
			break
		}
	}
	if to == nil {
		return
	}
	if _, ok := r.res.Lookup(dst); ok {
		// Resolved, but the host route is missing (the switch lost
		// it, or it was deleted meanwhile): program it again.
		delete(r.fib, netip.PrefixFrom(dst, dst.BitLen()))
		r.neighbourChanged(dst, out)
		return
	}
	if _, pending := r.hosts[dst]; pending || r.rib.NextHopUsed(dst) {
		return // already being resolved
	}
	if len(r.hosts) >= r.cfg.MaxPendingHosts {
		return
	}
	r.hosts[dst] = to.VID
	r.hostRes.Want(dst, to.VID, now)
	r.refresh(netip.PrefixFrom(dst, dst.BitLen()), out)
	out.merge(r.probes(now))
}

// Tick sends the probes that are due and drops neighbours that stopped
// answering, with their FIB entries. Call it every second or so.
func (r *Router) Tick(now time.Time) Output {
	out := r.probes(now)
	out.Packets = append(out.Packets, r.advertise(now)...)
	return out
}

// linkLocalAndOther splits v's IPv6 VIPs into link-local ones, which
// advertise, and the others, whose prefixes they advertise (Faucet's
// VLAN.link_and_other_vips).
func linkLocalAndOther(v *config.VLAN) (ll []netip.Prefix, other []netip.Prefix) {
	for _, vip := range v.FaucetVIPs {
		switch {
		case vip.Addr().Is4():
		case vip.Addr().IsLinkLocalUnicast():
			ll = append(ll, vip)
		default:
			other = append(other, vip)
		}
	}
	return ll, other
}

// routerSolicit answers a router solicitation as Faucet's
// _router_solicit_handler does: from the first link-local VIP whose
// subnet holds the host's source address, to the host, advertising the
// VLAN's other IPv6 prefixes. Like every ND message, the solicitation
// must arrive with hop limit 255 (RFC 4861 §6.1.1), so it was not routed.
func (r *Router) routerSolicit(v *config.VLAN, pkt pipeline.Packet, frame []byte, inPort uint32, tag uint16) []Packet {
	if hl, ok := ipv6HopLimit(frame); !ok || hl != 255 {
		return nil
	}
	ll, other := linkLocalAndOther(v)
	for _, vip := range ll {
		// Faucet's ip_in_vip_subnet: in the subnet, but neither its
		// first nor its last address.
		if vip.Contains(pkt.IPSrc) && pkt.IPSrc != vip.Masked().Addr() && pkt.IPSrc != lastAddr(vip) {
			return []Packet{{Ports: []uint32{inPort},
				Data: RouterAdvertisement(v.FaucetMAC, vip.Addr(), pkt.EthSrc, pkt.IPSrc, other, tag)}}
		}
	}
	return nil
}

// allNodes is ff02::1 and its Ethernet group.
var (
	allNodes    = netip.MustParseAddr("ff02::1")
	allNodesMAC = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
)

// advertise floods, every AdvertiseInterval, a router advertisement to
// all nodes from each link-local VIP of each VLAN (Faucet's
// ValveIPv6RouteManager.advertise, RFC 4861 §6.2.4).
func (r *Router) advertise(now time.Time) []Packet {
	if r.cfg.AdvertiseInterval <= 0 || !r.lastAdvert.IsZero() && now.Sub(r.lastAdvert) < r.cfg.AdvertiseInterval {
		return nil
	}
	r.lastAdvert = now
	var out []Packet
	for _, v := range r.dp.VLANs {
		if len(v.FaucetMAC) != 6 {
			continue
		}
		ll, other := linkLocalAndOther(v)
		for _, vip := range ll {
			out = append(out, flood(v, func(vid uint16) []byte {
				return RouterAdvertisement(v.FaucetMAC, vip.Addr(), allNodesMAC, allNodes, other, vid)
			})...)
		}
	}
	return out
}

// flood sends a frame to every port of v: tagged to the tagged ports,
// untagged to the others (Faucet's VLAN.flood_pkt).
func flood(v *config.VLAN, frame func(vid uint16) []byte) []Packet {
	var out []Packet
	if len(v.Tagged) > 0 {
		out = append(out, Packet{Ports: slices.Clone(v.Tagged), Data: frame(v.VID)})
	}
	if len(v.Untagged) > 0 {
		out = append(out, Packet{Ports: slices.Clone(v.Untagged), Data: frame(0)})
	}
	return out
}

func (r *Router) probes(now time.Time) Output {
	var out Output
	probes, gone := r.res.Due(now)
	for _, ip := range gone {
		r.neighbourChanged(ip, &out)
	}
	for _, p := range probes {
		out.Packets = append(out.Packets, r.probe(p)...)
	}
	hosts, _ := r.hostRes.Due(now)
	for _, p := range hosts {
		if p.Attempt > r.cfg.MaxHostRetries {
			// Nobody answers for this host: stop trying (and
			// dropping its packets) until a new packet for it arrives.
			delete(r.hosts, p.IP)
			r.hostRes.Unwant(p.IP)
			r.refresh(netip.PrefixFrom(p.IP, p.IP.BitLen()), &out)
			continue
		}
		out.Packets = append(out.Packets, r.probe(p)...)
	}
	return out
}

// probe floods an ARP request or neighbour solicitation for p.IP on its
// VLAN: tagged to the tagged ports, untagged to the others (Faucet's
// VLAN.flood_pkt).
func (r *Router) probe(p Probe) []Packet {
	v := r.dp.VLAN(p.VID)
	if v == nil || len(v.FaucetMAC) != 6 {
		return nil
	}
	var vip netip.Addr
	for _, x := range v.FaucetVIPs {
		if x.Contains(p.IP) {
			vip = x.Addr()
			break
		}
	}
	if !vip.IsValid() {
		return nil
	}
	return flood(v, func(vid uint16) []byte {
		if p.IP.Is4() {
			return ARPRequest(v.FaucetMAC, vip, p.IP, vid)
		}
		return NeighborSolicitation(v.FaucetMAC, vip, p.IP, vid)
	})
}

func (r *Router) isVIP(ip netip.Addr) bool {
	return slices.ContainsFunc(r.rib.connected, func(c Connected) bool { return c.VIP == ip })
}

func (r *Router) isConnectedPrefix(p netip.Prefix) bool {
	return slices.ContainsFunc(r.rib.connected, func(c Connected) bool {
		return c.Prefix == p.Masked() || p.IsSingleIP() && c.VIP == p.Addr()
	})
}

// Adopt records a neighbour known before a reconfiguration (from the
// previous Router), so a reload does not forget resolved hosts and next
// hops. Neighbours no longer in a connected subnet of their VLAN are
// ignored.
func (r *Router) Adopt(now time.Time, nb Neighbor) Output {
	var out Output
	if v := r.dp.VLAN(nb.VID); v != nil {
		r.learn(now, v, nb.IP, nb.MAC, nb.Port, &out)
	}
	return out
}
