package pipeline

import (
	"fmt"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// The egress pipeline (Faucet's egress_pipeline, forced on by acls_out):
// eth_dst no longer outputs a known destination itself but writes its port
// and VLAN to the metadata and continues to egress_acl (the VLANs'
// acls_out) or straight to egress, which outputs by the metadata. Unknown
// destinations miss eth_dst into egress_acl too, and with no metadata miss
// egress into flood, so flooded frames also pass the egress ACLs.

// Faucet's egress metadata (faucet/faucet_metadata.py): the port number in
// the low 12 bits, the VID in the next 12.
const (
	portMetadataMask   uint64 = 0xfff
	vlanMetadataMask   uint64 = 0xfff000
	egressMetadataMask        = portMetadataMask | vlanMetadataMask
)

// egressMetadata is faucet_metadata.get_egress_metadata.
func egressMetadata(port uint32, vid uint16) uint64 {
	return uint64(vid)<<12 | uint64(port)&portMetadataMask
}

// egressLayout adds the egress tables to include, as DP._configure_tables
// does: egress when the egress pipeline is on (egress_pipeline, or any
// acls_out), egress_acl when some VLAN has acls_out, declared with the
// fields those ACLs match plus vlan_vid; and then eth_dst's miss goes to
// egress_acl.
func egressLayout(dp *config.DP, include map[string]bool, decls map[string]TableDecl) error {
	if !dp.EgressPipeline {
		return nil
	}
	include[TableEgress] = true
	var acls []*config.ACL
	for _, v := range dp.VLANs {
		acls = append(acls, v.ACLsOut...)
	}
	if len(acls) == 0 {
		return nil
	}
	include[TableEgressACL] = true
	d, err := aclTableDecl(TableEgressACL, acls, of13.FieldVlanVID)
	if err != nil {
		return err
	}
	decls[TableEgressACL] = d
	ed, _ := Tables{decls: faucetPipeline}.Decl(TableEthDst)
	ed.Miss = TableEgressACL
	decls[TableEthDst] = ed
	return nil
}

// toPort completes s, a flow that sends frames of VLAN v to port p
// (ValvePipeline.output): with the egress pipeline it writes the port and
// VLAN to the metadata and continues to egress_acl, or to egress without
// egress ACLs; otherwise it outputs directly. As in Faucet, a hairpin flow
// with the egress pipeline outputs by the metadata like any other, to the
// port the frame came from.
func (c *compiler) toPort(s flowSpec, v *config.VLAN, p *config.Port, hairpin bool) flowSpec {
	if !c.tables.Has(TableEgress) {
		s.Apply = c.outputActions(v, p, hairpin)
		return s
	}
	s.Metadata, s.MetadataMask = egressMetadata(p.Number, v.VID), egressMetadataMask
	s.Goto = TableEgress
	if c.tables.Has(TableEgressACL) {
		s.Goto = TableEgressACL
	}
	return s
}

// egressFlows compiles the egress tables' flows: per port, one output flow
// per VLAN it carries (ValvePipeline.add_port); per VLAN, its acls_out in
// egress_acl, or a flow that lets all its frames on to egress
// (ValveAclManager.add_vlan).
func (c *compiler) egressFlows() error {
	if !c.tables.Has(TableEgress) {
		return nil
	}
	for _, p := range c.dp.Ports {
		if c.vlanPort(p.Number) == nil {
			continue
		}
		for _, v := range p.TaggedVLANs {
			c.egressPortFlow(p, v, false)
		}
		if p.NativeVLAN != nil {
			c.egressPortFlow(p, p.NativeVLAN, true)
		}
	}
	if !c.tables.Has(TableEgressACL) {
		return nil
	}
	for _, v := range c.dp.VLANs {
		owner := VLANOwner(v.VID)
		if len(v.ACLsOut) == 0 {
			c.e.add(owner, flowSpec{Table: TableEgressACL, Priority: aclPriority,
				Match: of13.NewMatch(of13.VlanVID(v.VID)), Goto: TableEgress})
			continue
		}
		s := aclScope{owner: owner, table: TableEgressACL, vid: v.VID, allow: TableEgress, force: TableEgress}
		if err := c.compileACLs(v.ACLsOut, s); err != nil {
			return fmt.Errorf("vlan %d: acls_out: %w", v.VID, err)
		}
	}
	return nil
}

// egressPortFlow is ValvePipeline._add_egress_table_rule: frames for port p
// on VLAN v leave through p's mirrors, untagged if pop, out of p.
func (c *compiler) egressPortFlow(p *config.Port, v *config.VLAN, pop bool) {
	acts := cloneActions(c.mirrorActions(p))
	if pop {
		acts = append(acts, of13.PopVLAN())
	}
	acts = append(acts, of13.Output(p.Number))
	c.e.add(PortOwner(p.Number), flowSpec{
		Table: TableEgress, Priority: uint16(c.dp.HighPriority),
		Match: of13.NewMatch(of13.VlanVID(v.VID), of13.Metadata(egressMetadata(p.Number, v.VID), egressMetadataMask)),
		Apply: acts,
	})
}
