package pipeline

import (
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// lacpMaxLen is the packet-in size of LACPDUs: a whole untagged LACPDU
// frame (valve_packet.LACP_SIZE).
const lacpMaxLen uint16 = 124

// lacpPortFlows are a LACP port's flows in the vlan table
// (ValveSwitchManager.add_port, _lacp_match; enable_forwarding and
// disable_forwarding): LACPDUs go to the controller at the DP's highest
// priority, and until the port's LAG member is up and selected everything
// else it receives is dropped at the DP's high priority, above the port's
// VLAN flows.
func (c *compiler) lacpPortFlows(p *config.Port) {
	if p.LACP == 0 {
		return
	}
	owner := PortOwner(p.Number)
	c.e.add(owner, flowSpec{
		Table: TableVLAN, Priority: uint16(c.dp.HighestPriority),
		Match: of13.NewMatch(of13.InPort(p.Number), of13.EthType(EthTypeSlow), of13.EthDst(macSlowProtocols)),
		Apply: []of13.Action{of13.OutputController(lacpMaxLen)},
	})
	if !c.learned.LACPForwarding(p.Number) {
		c.e.add(owner, flowSpec{
			Table: TableVLAN, Priority: uint16(c.dp.HighPriority),
			Match: of13.NewMatch(of13.InPort(p.Number)),
		})
	}
}

// vlanHasLAG reports whether a VLAN has LACP ports, whose flooding
// depends on the ingress port (a LAG never floods back into itself).
func (c *compiler) vlanHasLAG(v *config.VLAN) bool {
	return slices.ContainsFunc(v.Ports(), func(n uint32) bool {
		p := c.vlanPort(n)
		return p != nil && p.LACP != 0
	})
}

// lagExcluded returns the LAG members a flood from port in (0 for the
// VLAN-wide flow) must not reach (VLAN.excluded_lag_ports): of each LAG,
// every member but the first one that is up and selected, and all of the
// ingress port's own LAG. A LAG with no member up gets no flood at all.
// Members are taken tagged first, then untagged, each in port order, as
// Faucet's VLAN.get_ports lists them.
func (c *compiler) lagExcluded(v *config.VLAN, in uint32) map[uint32]bool {
	var inLAG int
	if p := c.ports[in]; p != nil {
		inLAG = p.LACP
	}
	var out map[uint32]bool
	chosen := map[int]bool{}
	for _, n := range append(slices.Clone(v.Tagged), v.Untagged...) {
		p := c.vlanPort(n)
		if p == nil || p.LACP == 0 {
			continue
		}
		if p.LACP != inLAG && !chosen[p.LACP] && c.learned.LACPForwarding(n) {
			chosen[p.LACP] = true
			continue
		}
		if out == nil {
			out = map[uint32]bool{}
		}
		out[n] = true
	}
	return out
}

// LACPForwarding reports whether LACP port may forward: its partner is in
// sync and it is selected (controller/dp decides, with package lacp). A
// port Compile has not been told about does not forward.
func (l *Learned) LACPForwarding(port uint32) bool { return l.lacpUp[port] }

// SetLACPForwarding records whether LACP port may forward and returns the
// owners whose flows changed with it: the port's (its drop flow) and its
// VLANs' (LAG flooding), for the caller to recompile and send. It returns
// nil when nothing changed or the port is not a LACP port of dp.
func (l *Learned) SetLACPForwarding(dp *config.DP, port uint32, fwd bool) []string {
	i := slices.IndexFunc(dp.Ports, func(p *config.Port) bool { return p.Number == port })
	if i < 0 || dp.Ports[i].LACP == 0 || l.lacpUp[port] == fwd {
		return nil
	}
	if fwd {
		if l.lacpUp == nil {
			l.lacpUp = map[uint32]bool{}
		}
		l.lacpUp[port] = true
	} else {
		delete(l.lacpUp, port)
	}
	owners := []string{PortOwner(port)}
	for _, v := range dp.Ports[i].VLANs() {
		owners = append(owners, VLANOwner(v.VID))
	}
	return owners
}

// CopyLACP carries the LACP forwarding state of from over to l, for a
// Learned replaced at a reload: the LAGs stay up.
func (l *Learned) CopyLACP(from *Learned) {
	if from == nil || len(from.lacpUp) == 0 {
		return
	}
	l.lacpUp = make(map[uint32]bool, len(from.lacpUp))
	for k, v := range from.lacpUp {
		l.lacpUp[k] = v
	}
}
