package dp

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/faucet/lldp"
	"github.com/voipsdn/voipsdn/faucet/stack"
)

// A stacked DP's side of the fabric (stack.go): beacons heard and sent on
// its stack ports, its flood flows recompiled when the fabric's views
// change, and hosts heard on stack ports learned towards their DP. All of
// it runs on the DP's goroutine.

// stackLLDP handles a Faucet beacon heard on stack port inPort.
func (r *runner) stackLLDP(now time.Time, inPort uint32, f *lldp.Frame) {
	d := r.st.dp
	var dpid uint64
	for _, o := range f.Orgs(lldp.FaucetOUI(d)) {
		if o.Subtype == lldp.FaucetDPID {
			dpid, _ = strconv.ParseUint(string(o.Info), 10, 64)
		}
	}
	_, pid := f.PortID()
	port, _ := strconv.ParseUint(string(pid), 10, 32)
	name := string(f.First(lldp.TypeSystemName))
	e := stack.End{DP: d.Name, Port: inPort}
	if !r.m.stack.heard(now, e, dpid, name, uint32(port)) {
		peer := d.Port(inPort).Stack
		r.log.Error("stack cabling incorrect", "port", inPort,
			"expected", peer.DP+":"+strconv.FormatUint(uint64(peer.Port), 10),
			"actual", strings.Join([]string{strconv.FormatUint(dpid, 10), printable([]byte(name)), strconv.FormatUint(port, 10)}, ":"))
	}
	r.stackLog(r.m.stack.update(now, d, inPort))
}

// stackTick advances this DP's stack ports' states (missed beacons).
func (r *runner) stackTick(now time.Time) {
	r.m.stack.maintain(now)
	r.stackLog(r.m.stack.update(now, r.st.dp, 0))
}

func (r *runner) stackLog(cs []stackChange) {
	for _, c := range cs {
		r.log.Info("stack port state", "port", c.port, "state", StackStateName(c.to),
			"previous", StackStateName(c.from), "remote", c.remote)
	}
}

// stackApply makes the DP's flows follow its current stack view: as
// Faucet on a stack change, hosts learned over the stack are forgotten
// (relearned along the new tree) and every VLAN's flood flows rebuilt.
func (r *runner) stackApply(ctx context.Context) {
	v := r.m.stack.view(r.st.dp.Name)
	if reflect.DeepEqual(v, r.st.learned.Stack()) {
		return
	}
	r.st.learned.SetStack(v)
	if v != nil {
		r.log.Info("stack topology changed", "root", v.Root, "root_hop_port", v.ChosenPort,
			"up", v.Up, "towards", v.Towards, "away", v.Away)
	}
	var b batch
	for _, p := range r.st.dp.Ports {
		if p.Stack == nil {
			continue
		}
		for _, o := range r.st.learned.PortDown(p.Number) {
			r.dropHost(o, &b)
		}
	}
	prog, err := r.compile()
	if err != nil {
		r.log.Error("compile failed", "err", err)
		return
	}
	if r.st.sw == nil {
		return
	}
	for _, o := range r.st.cache.Owners() {
		if _, ok := prog.Flows[o]; !ok && o != ownerMeters && !strings.HasPrefix(o, extraPrefix) && !strings.HasPrefix(o, "host:") {
			r.setOwner(&b, o, nil)
		}
	}
	for _, o := range sortedOwners(prog.Flows) {
		if _, host := r.st.hosts[o]; host {
			continue
		}
		r.setOwner(&b, o, prog.Flows[o])
	}
	if err := r.send(ctx, &b); err != nil {
		r.log.Warn("sending stack flows failed", "err", err)
	}
}

// stackLearnPort decides where a source heard on port in is learned
// (edge_learn_port): a host port learns there; a stack port learns the
// host on the port towards the DP that learned it on one of its host
// ports, or not at all while no DP has. local is false for stack learning,
// which stays out of the host index: the index says where a host really
// is (its ingress edge), which is where per-call flows go.
func (r *runner) stackLearnPort(in uint32, vid uint16, src []byte) (port uint32, local, ok bool) {
	p := r.st.dp.Port(in)
	if p == nil || p.Stack == nil {
		return in, true, true
	}
	v := r.st.learned.Stack()
	vl := r.st.dp.VLAN(vid)
	if v == nil || vl == nil {
		return 0, false, false
	}
	loc, found := r.m.hosts.locateMAC(src)
	if !found || loc.DPID == r.id || loc.VID != vid {
		return 0, false, false
	}
	port = v.EdgeLearnPort(loc.DP, vl.EdgeLearnStackRoot)
	return port, false, port != 0
}

// stackLinkDown takes a stack port GONE when its link goes down.
func (m *Manager) stackLinkDown(r *runner, port uint32) {
	d := r.cfg.Load()
	if p := d.Port(port); p == nil || p.Stack == nil {
		return
	}
	if m.stack.linkDown(stack.End{DP: d.Name, Port: port}) {
		r.log.Info("stack port state", "port", port, "state", StackStateName(StackGone), "reason", "link down")
	}
}

// beaconFor is port n's LLDP frame: with the stack state on stack ports.
func (r *runner) beaconFor(n uint32) []byte {
	d := r.st.dp
	p := d.Port(n)
	if p.Stack != nil {
		return lldp.StackBeacon(d, p, r.m.stack.portState(stack.End{DP: d.Name, Port: n}))
	}
	return lldp.Beacon(d, p)
}
