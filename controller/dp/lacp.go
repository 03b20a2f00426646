package dp

import (
	"context"
	"slices"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/lacp"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// lacpTickInterval is how often LACP ports are checked for expiry and
// active ports advertise (Faucet checks each second and advertises every
// fast_advertise_interval).
const lacpTickInterval = time.Second

// LACPPort is one LACP port's state for metrics (Faucet's port_lacp_state,
// port_lacp_role, lacp_port_id, port_lacp_state_change_count).
type LACPPort struct {
	Port    uint32
	LAG     int
	State   lacp.ActorState
	Role    lacp.Role
	PortID  int
	Changes uint64
}

// LAGChange is Faucet's LAG_CHANGE event: a LACP port's actor state or
// role changed. Options.LAGChanged receives it.
type LAGChange struct {
	DPID  uint64
	DP    string
	Port  uint32
	State lacp.ActorState
	Role  lacp.Role
}

// lacpState is the DP goroutine's LACP state.
type lacpState struct {
	ports        map[uint32]*lacp.Port
	lastAdvertis time.Time
}

func lacpConfigOf(p *config.Port) lacp.Config {
	o := p.LACPOptions
	c := lacp.Config{
		LAG: uint16(p.LACP), PortID: uint16(o.PortID), PortPriority: uint16(o.PortPriority),
		Active: o.Active, Standby: o.Standby, CollectAndDistribute: o.CollectAndDistribute,
		RespInterval: time.Duration(o.RespInterval) * time.Second,
	}
	switch {
	case o.Selected:
		c.Forced = lacp.RoleSelected
	case o.Unselected:
		c.Forced = lacp.RoleUnselected
	}
	return c
}

// lacpConfigure makes the LACP ports those of r.st.dp, whose previous
// configuration was old (nil at start). A port whose LACP settings are
// unchanged keeps its state, so a warm reload keeps its LAG up; a new or
// changed one starts over, up if the switch reports it up. It reports
// whether some port stopped forwarding, so the caller recompiles.
func (r *runner) lacpConfigure(old *config.DP) bool {
	prev := r.lacp.ports
	r.lacp.ports = map[uint32]*lacp.Port{}
	live := map[uint32]bool{}
	if b := r.views.sw.Load(); b != nil {
		if p, ok := b.sw.(porter); ok {
			for _, port := range p.Ports() {
				live[port.No] = port.Up()
			}
		}
	}
	now := r.m.opts.Clock.Now()
	for _, p := range r.st.dp.Ports {
		if p.LACP == 0 || !p.Enabled || p.OutputOnly {
			continue
		}
		c := lacpConfigOf(p)
		if lp, ok := prev[p.Number]; ok && lp.Config == c {
			r.lacp.ports[p.Number] = lp
			continue
		}
		lp := lacp.NewPort(c)
		if lp.Running = live[p.Number]; lp.Running {
			lp.Update(now, false, nil)
		}
		r.lacp.ports[p.Number] = lp
	}
	changed := false
	for n, lp := range prev {
		if cur := r.lacp.ports[n]; lp.Forwarding() && (cur == nil || !cur.Forwarding()) {
			r.st.learned.SetLACPForwarding(old, n, false)
			changed = true
		}
	}
	r.lacpPublish()
	return changed
}

// isLACPPort reports whether port is a LACP port of the current
// configuration; safe from any goroutine.
func (r *runner) isLACPPort(port uint32) bool {
	for _, p := range r.cfg.Load().Ports {
		if p.Number == port {
			return p.LACP != 0
		}
	}
	return false
}

// lacpReset restarts every LACP port as Faucet's cold start does
// (ports_add -> lacp_update with cold_start): INITIALIZING if up says the
// port is up, and none forwarding. It runs before the
// switch is reconciled at connect (up from its port table) and at
// disconnect (up nil), so it sends nothing itself.
func (r *runner) lacpReset(up map[uint32]bool) {
	now := r.m.opts.Clock.Now()
	for _, n := range r.lacpPortNumbers() {
		lp := r.lacp.ports[n]
		prevActor, prevRole := lp.Actor, lp.Role
		lp.Reset()
		// Down at disconnect is NONE (ports_delete); down at connect stays
		// NOT_CONFIGURED (ports_add skips it).
		if lp.Running = up[n]; lp.Running || up == nil {
			lp.Update(now, false, nil)
		} else if prevActor != lp.Actor || prevRole != lp.Role {
			lp.Changes++
		}
		r.st.learned.SetLACPForwarding(r.st.dp, n, false)
		r.lacpEvent(n, lp)
	}
	r.lacpPublish()
}

// portsUp maps a switch's port table to the ports that are up.
func portsUp(ports []of13.Port) map[uint32]bool {
	up := make(map[uint32]bool, len(ports))
	for i := range ports {
		up[ports[i].No] = ports[i].Up()
	}
	return up
}

func (r *runner) lacpEvent(port uint32, lp *lacp.Port) {
	if hook := r.m.opts.LAGChanged; hook != nil {
		hook(LAGChange{DPID: r.id, DP: r.st.dp.Name, Port: port, State: lp.Actor, Role: lp.Role})
	}
}

// lacpPortStatus follows a LACP port going up or down.
func (r *runner) lacpPortStatus(ctx context.Context, port uint32, up bool) {
	lp := r.lacp.ports[port]
	if lp == nil || lp.Running == up {
		return
	}
	lp.Running = up
	now := r.m.opts.Clock.Now()
	if lp.Update(now, false, nil) {
		r.lacpApply(ctx, []uint32{port})
	}
	if up && lp.Config.Active {
		r.lacpSend(ctx, port, lp, nil)
	}
}

// lacpPacket handles an LACPDU received on port (lacp_handler): answer
// it when it is new or the last answer is old, and update the port.
func (r *runner) lacpPacket(ctx context.Context, now time.Time, port uint32, frame []byte) {
	lp := r.lacp.ports[port]
	if lp == nil {
		return
	}
	pdu, err := lacp.Parse(frame)
	if err != nil {
		r.ctr.parseErrors.Add(1)
		r.log.Debug("bad LACPDU", "port", port, "err", err)
		return
	}
	reply, changed := lp.Receive(now, pdu)
	if reply {
		r.lacpSend(ctx, port, lp, &pdu)
	}
	if changed {
		r.lacpApply(ctx, []uint32{port})
	}
	for n, other := range r.lacp.ports {
		if n != port && other.Config.LAG == lp.Config.LAG && other.Last != nil && other.Last.Actor.System != pdu.Actor.System {
			r.log.Error("LACP actor system mismatch", "lag", lp.Config.LAG, "port", port,
				"system", pdu.Actor.SystemMAC().String(), "other_port", n, "other_system", other.Last.Actor.SystemMAC().String())
		}
	}
}

// lacpTick expires LAG members that have gone quiet for lacp_timeout and
// sends the active ports' LACPDUs every fast_advertise_interval.
func (r *runner) lacpTick(ctx context.Context, now time.Time) {
	if len(r.lacp.ports) == 0 {
		return
	}
	timeout := time.Duration(r.st.dp.LACPTimeout) * time.Second
	var changed []uint32
	for n, lp := range r.lacp.ports {
		if lp.Expired(now, timeout) {
			r.log.Info("LAG member expired", "lag", lp.Config.LAG, "port", n, "age", now.Sub(lp.UpdatedAt).String())
			if lp.Update(now, false, nil) {
				changed = append(changed, n)
			}
		}
	}
	r.lacpApply(ctx, changed)
	r.lacpAdvertise(ctx, now, false)
}

func (r *runner) lacpAdvertise(ctx context.Context, now time.Time, force bool) {
	iv := time.Duration(r.st.dp.FastAdvertiseInterval) * time.Second
	if iv <= 0 || !force && now.Sub(r.lacp.lastAdvertis) < iv {
		return
	}
	r.lacp.lastAdvertis = now
	for _, n := range r.lacpPortNumbers() {
		if lp := r.lacp.ports[n]; lp.Config.Active && lp.Running {
			r.lacpSend(ctx, n, lp, lp.Last)
		}
	}
}

// lacpSend sends the port's LACPDU (lacp_req_reply), unless one of its
// lacp_passthrough ports is not up in its own LAG.
func (r *runner) lacpSend(ctx context.Context, port uint32, lp *lacp.Port, heard *lacp.PDU) {
	if r.st.sw == nil {
		return
	}
	for _, p := range r.st.dp.Ports {
		if p.Number != port {
			continue
		}
		for _, peer := range p.LACPOptions.Passthrough {
			if pp := r.lacp.ports[peer]; pp == nil || pp.Actor != lacp.ActorUp {
				r.log.Warn("suppressing LACP: passthrough peer is down", "lag", lp.Config.LAG, "port", port, "peer", peer)
				return
			}
		}
	}
	var sys [6]byte
	copy(sys[:], r.st.dp.FaucetDPMAC)
	pdu := lp.Reply(sys, heard)
	po := of13.PacketOut{BufferID: of13.NoBuffer, InPort: of13.PortController,
		Actions: []of13.Action{of13.Output(port)}, Data: pdu.Frame(r.st.dp.FaucetDPMAC)}
	if err := r.st.sw.Send(ctx, []of13.Message{po}); err != nil {
		r.log.Warn("sending LACPDU failed", "port", port, "err", err)
	}
}

// lacpApply makes the flows follow the changed ports' states (Faucet's
// lacp_update): a member that forwards loses its drop flow and joins its
// LAG's flooding; one that stops forwarding gets the drop flow back and
// forgets its hosts, which are relearned on the members still up.
func (r *runner) lacpApply(ctx context.Context, ports []uint32) {
	if len(ports) == 0 {
		return
	}
	slices.Sort(ports)
	var b batch
	owners := map[string]bool{}
	for _, n := range ports {
		lp := r.lacp.ports[n]
		fwd := lp.Forwarding()
		r.log.Info("LAG member state", "lag", lp.Config.LAG, "port", n,
			"state", lp.Actor.String(), "role", lp.Role.String(), "forwarding", fwd)
		r.lacpEvent(n, lp)
		for _, o := range r.st.learned.SetLACPForwarding(r.st.dp, n, fwd) {
			owners[o] = true
		}
		if !fwd {
			for _, o := range r.st.learned.PortDown(n) {
				r.dropHost(o, &b)
			}
		}
	}
	r.lacpPublish()
	if len(owners) > 0 {
		prog, err := r.compile()
		if err != nil {
			r.log.Error("compile failed", "err", err)
			return
		}
		for _, o := range sortedOwners(owners) {
			r.setOwner(&b, o, prog.Flows[o])
		}
	}
	if err := r.send(ctx, &b); err != nil {
		r.log.Warn("sending LAG flows failed", "err", err)
	}
}

func (r *runner) lacpPortNumbers() []uint32 {
	out := make([]uint32, 0, len(r.lacp.ports))
	for n := range r.lacp.ports {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// lacpPublish stores the LACP ports' states for View.
func (r *runner) lacpPublish() {
	out := make([]LACPPort, 0, len(r.lacp.ports))
	for _, n := range r.lacpPortNumbers() {
		lp := r.lacp.ports[n]
		out = append(out, LACPPort{Port: n, LAG: int(lp.Config.LAG), State: lp.Actor, Role: lp.Role,
			PortID: int(lp.Config.PortID), Changes: lp.Changes})
	}
	r.views.lacp.Store(&out)
}
