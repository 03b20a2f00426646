package pipeline

import (
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// outputActions send a frame of VLAN v out of port p: mirror copies
// first (still tagged), then pop the tag for an untagged member, then
// output (Faucet's VLAN.output_port).
func (c *compiler) outputActions(v *config.VLAN, p *config.Port, hairpin bool) []of13.Action {
	acts := cloneActions(c.mirrorActions(p))
	if slices.Contains(v.Untagged, p.Number) {
		acts = append(acts, of13.PopVLAN())
	}
	if hairpin {
		return append(acts, of13.Output(of13.PortInPort))
	}
	return append(acts, of13.Output(p.Number))
}

// hostDestFlows forward frames to a learned host: eth_dst by (VLAN, MAC),
// plus eth_dst_hairpin when the host's port hairpins (frames from the same
// port go back out of it).
func (c *compiler) hostDestFlows(owner string, h *Host, v *config.VLAN, p *config.Port) {
	_, _, idle := hostTimeouts(c.dp, p, h.MAC)
	c.e.add(owner, c.toPort(flowSpec{
		Table: TableEthDst, Priority: priorityMatch,
		Match: of13.NewMatch(of13.VlanVID(h.VID), of13.EthDst(h.MAC)),
		Idle:  idle,
	}, v, p, false))
	if p.Hairpin || p.HairpinUnicast {
		c.e.add(owner, c.toPort(flowSpec{
			Table: TableEthDstHairpin, Priority: priorityMatch,
			Match: of13.NewMatch(of13.InPort(h.Port), of13.VlanVID(h.VID), of13.EthDst(h.MAC)),
			Idle:  idle,
		}, v, p, true))
	}
}
