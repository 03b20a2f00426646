package pipeline

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Priorities Faucet's managers use (faucet/valve_manager_base.py). The
// table-miss flow uses the DP's lowest_priority instead.
const (
	priorityLow    uint16 = 0x1000
	priorityMatch  uint16 = 0x2000
	priorityLPM    uint16 = 0x3000
	priorityHigh   uint16 = 0x4000
	priorityFilter uint16 = 0x5000
)

// Owner keys of flows that are not tied to one config object.
const (
	OwnerDP = "dp"
)

// VLANOwner is the owner key of a VLAN's flows (vlan_acl, learning, flood, voip).
func VLANOwner(vid uint16) string { return "vlan:" + strconv.Itoa(int(vid)) }

// PortOwner is the owner key of a port's flows (port_acl and vlan tables).
func PortOwner(port uint32) string { return "port:" + strconv.FormatUint(uint64(port), 10) }

// ACLOwner is the owner key of a dp_acls ACL's flows.
func ACLOwner(name string) string { return "acl:" + name }

// Program is everything one DP's switch should hold, as pure data.
type Program struct {
	// Tables is the compacted layout (name -> id, in Faucet order).
	Tables Tables
	// Flows holds the flows by owner key: OwnerDP, VLANOwner, PortOwner,
	// ACLOwner, HostOwner, PortBanOwner, VLANBanOwner (and, later,
	// "route:..." and "vip:..." from the routing files).
	Flows map[string][]of13.Flow
	// Meters are the meters the ACLs use, by ID.
	Meters []of13.Meter
	// Groups are flood groups (group_table: true) and failover groups, by ID.
	Groups []of13.Group

	// voipNext is where the voip table sends each VLAN.
	voipNext map[uint16]uint8
}

// Owners returns the owner keys in sorted order.
func (p *Program) Owners() []string {
	out := make([]string, 0, len(p.Flows))
	for k := range p.Flows {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// AllFlows returns every flow, sorted by table, then descending priority,
// then match text, so the result is stable.
func (p *Program) AllFlows() []of13.Flow {
	n := 0
	for _, fs := range p.Flows {
		n += len(fs)
	}
	out := make([]of13.Flow, 0, n)
	for _, fs := range p.Flows {
		out = append(out, fs...)
	}
	SortFlows(out)
	return out
}

// SortFlows sorts flows by table, descending priority, then match
// (field by field, so the order is stable without rendering text).
func SortFlows(fs []of13.Flow) {
	slices.SortFunc(fs, func(a, b of13.Flow) int {
		if c := cmp.Compare(a.Table, b.Table); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		return compareMatch(a.Match, b.Match)
	})
}

func compareMatch(a, b of13.Match) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := &a[i], &b[i]
		if c := cmp.Compare(x.Field, y.Field); c != 0 {
			return c
		}
		if x.Masked != y.Masked {
			if x.Masked {
				return 1
			}
			return -1
		}
		if c := bytes.Compare(x.Value[:], y.Value[:]); c != 0 {
			return c
		}
		if c := bytes.Compare(x.Mask[:], y.Mask[:]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// VoIPNext returns the table the voip table continues to for VLAN vid:
// per-call flows (see doc.go) end with goto to this table. ok is false when
// the voip table is not in the pipeline or the VLAN is not on this DP.
func (p *Program) VoIPNext(vid uint16) (table uint8, ok bool) {
	t, ok := p.voipNext[vid]
	return t, ok
}

// Option adjusts compilation.
type Option func(*options)

type options struct {
	voip bool
}

// WithVoIPTable includes the voip table (between vlan and vlan_acl) that
// holds per-call QoS flows. Without it the layout is exactly Faucet's.
func WithVoIPTable() Option { return func(o *options) { o.voip = true } }

// OptionsFor returns the options a DP of cfg is compiled with: the voip
// table when the config's voip section applies to the DP (no qos.apply_to
// DP list, or one naming it). The runtime and `voipsdn flows` both use it,
// so the offline and live layouts agree.
func OptionsFor(cfg *config.Config, dp *config.DP) []Option {
	if cfg == nil || cfg.VoIP == nil {
		return nil
	}
	if a := cfg.VoIP.QoS.ApplyTo; a != nil && len(a.DPs) > 0 && !slices.Contains(a.DPs, dp.Name) {
		return nil
	}
	return []Option{WithVoIPTable()}
}

// compiler holds one compilation's inputs and outputs.
type compiler struct {
	dp      *config.DP
	learned *Learned
	opts    options
	tables  Tables
	e       emitter
	ports   map[uint32]*config.Port
	vlans   map[uint16]*config.VLAN
	meters  map[string]*config.Meter
	groups  map[uint32]of13.Group
	prog    *Program
	// restricted is set when some port has restricted_bcast_arpnd.
	restricted bool
}

// feature compiles one concern's flows. Routing (route.go, vip.go) adds
// its features to this list.
type feature func(*compiler) error

// features run in this order; each emits flows by owner key.
var features = []feature{
	(*compiler).defaultFlows,
	(*compiler).dpACLs,
	(*compiler).portFlows,
	(*compiler).vlanFlows,
	(*compiler).egressFlows,
	(*compiler).learnedFlows,
	(*compiler).vipFlows,
	(*compiler).routeFlows,
}

// Compile is pure: config + learned state -> desired state. It does no I/O
// and reads no clock; learned may be nil. The result is deterministic: the
// same inputs give equal programs. opts default to those learned was
// created with; giving different ones is an error, because Learn numbers
// tables by the Learned's options.
//
// Errors name the DP and object (`dp sw1: port 3: acl web rule 2: ...`):
// features voipsdn does not program (tunnel outputs, conntrack matches) and
// rules a switch would reject (a match without its OpenFlow prerequisite).
func Compile(dp *config.DP, learned *Learned, opts ...Option) (*Program, error) {
	if dp == nil {
		return nil, fmt.Errorf("pipeline: nil DP")
	}
	c, err := newCompiler(dp, learned, opts)
	if err != nil {
		return nil, err
	}
	for _, f := range features {
		if err := f(c); err != nil {
			return nil, fmt.Errorf("dp %s: %w", dp.Name, err)
		}
		if c.e.err != nil {
			return nil, fmt.Errorf("dp %s: %w", dp.Name, c.e.err)
		}
	}
	p := c.prog
	p.Flows = c.e.flows
	for _, m := range c.meters {
		mt, err := meterOf(m)
		if err != nil {
			return nil, fmt.Errorf("dp %s: %w", dp.Name, err)
		}
		p.Meters = append(p.Meters, mt)
	}
	slices.SortFunc(p.Meters, func(a, b of13.Meter) int { return cmp.Compare(a.ID, b.ID) })
	for _, g := range c.groups {
		p.Groups = append(p.Groups, g)
	}
	slices.SortFunc(p.Groups, func(a, b of13.Group) int { return cmp.Compare(a.ID, b.ID) })
	for owner, fs := range p.Flows {
		SortFlows(fs)
		p.Flows[owner] = fs
	}
	return p, nil
}

func newCompiler(dp *config.DP, learned *Learned, opts []Option) (*compiler, error) {
	c := &compiler{
		dp:      dp,
		learned: learned,
		ports:   make(map[uint32]*config.Port, len(dp.Ports)),
		vlans:   make(map[uint16]*config.VLAN, len(dp.VLANs)),
		meters:  map[string]*config.Meter{},
		groups:  map[uint32]of13.Group{},
	}
	if c.learned == nil {
		c.learned = NewLearned(opts...)
	}
	c.opts = c.learned.opts
	for _, o := range opts {
		o(&c.opts)
	}
	if c.opts != c.learned.opts {
		// Learn builds host flows with the Learned's options; different
		// options would number tables differently.
		return nil, fmt.Errorf("dp %s: Compile options differ from NewLearned's: pass both the same options", dp.Name)
	}
	for _, p := range dp.Ports {
		c.ports[p.Number] = p
	}
	for _, v := range dp.VLANs {
		c.vlans[v.VID] = v
	}
	t, err := layout(dp, c.opts)
	if err != nil {
		return nil, fmt.Errorf("dp %s: %w", dp.Name, err)
	}
	c.tables = t
	c.restricted = hasRestrictedPorts(dp)
	c.e = emitter{b: &builder{tables: t, cookie: dp.Cookie, flags: flowFlags(dp)}, flows: map[string][]of13.Flow{}}
	c.prog = &Program{Tables: t, voipNext: map[uint16]uint8{}}
	return c, nil
}

// flowFlags: with use_idle_timeout Faucet asks for flow-removed messages
// on every flow (ValveTable notify_flow_removed).
func flowFlags(dp *config.DP) uint16 {
	if dp.UseIdleTimeout {
		return of13.FlagSendFlowRem
	}
	return 0
}

// layout chooses the tables in use, as Faucet's DP._configure_tables does:
// the minimum four, the ACL tables when ACLs are applied, the FIB and VIP
// tables when a VLAN has VIPs, eth_dst_hairpin when a port hairpins, and
// the voip table on request.
func layout(dp *config.DP, o options) (Tables, error) {
	include := map[string]bool{}
	// acl holds declarations that depend on the config.
	acl := map[string]TableDecl{}
	var portACLs, vlanACLs []*config.ACL
	if len(dp.DPACLs) > 0 {
		portACLs = dp.DPACLs
	} else {
		for _, p := range dp.Ports {
			if p.Enabled && !p.OutputOnly {
				portACLs = append(portACLs, p.ACLsIn...)
			}
		}
	}
	for _, v := range dp.VLANs {
		vlanACLs = append(vlanACLs, v.ACLsIn...)
		for _, vip := range v.FaucetVIPs {
			include[TableVIP] = true
			if vip.Addr().Is4() {
				include[TableIPv4FIB] = true
			} else {
				include[TableIPv6FIB] = true
			}
		}
	}
	anyPortACL := len(dp.DPACLs) > 0
	for _, p := range dp.Ports {
		if len(p.ACLsIn) > 0 && p.Enabled && !p.OutputOnly {
			anyPortACL = true
		}
		if p.Enabled && (p.Hairpin || p.HairpinUnicast) {
			include[TableEthDstHairpin] = true
		}
	}
	if anyPortACL {
		include[TablePortACL] = true
		extra := of13.FieldInPort
		d, err := aclTableDecl(TablePortACL, portACLs, extra)
		if err != nil {
			return Tables{}, err
		}
		acl[TablePortACL] = d
	}
	if len(vlanACLs) > 0 {
		include[TableVLANACL] = true
		d, err := aclTableDecl(TableVLANACL, vlanACLs, of13.FieldVlanVID)
		if err != nil {
			return Tables{}, err
		}
		acl[TableVLANACL] = d
	}
	if o.voip {
		include[TableVoIP] = true
	}
	if err := egressLayout(dp, include, acl); err != nil {
		return Tables{}, err
	}
	if hasRestrictedPorts(dp) {
		// The restricted ARP/ND flood flows match eth_type.
		d, _ := Tables{decls: faucetPipeline}.Decl(TableFlood)
		d.Match = append(slices.Clone(d.Match), MatchDecl{Field: of13.FieldEthType})
		acl[TableFlood] = d
	}
	return newTables(include, acl), nil
}

// vlanPort returns the port if it exists, is enabled and is not
// output-only: the ports that take part in VLANs and ACLs.
func (c *compiler) vlanPort(n uint32) *config.Port {
	p := c.ports[n]
	if p == nil || !p.Enabled || p.OutputOnly {
		return nil
	}
	return p
}

// outputTable is where learned sources continue: eth_dst_hairpin when
// present, else eth_dst (Faucet's DP.output_table).
func (c *compiler) outputTable() string {
	if c.tables.Has(TableEthDstHairpin) {
		return TableEthDstHairpin
	}
	return TableEthDst
}

// afterVLAN is the table a VLAN's packets go to after the vlan table,
// before any voip table: vlan_acl when the VLAN has ACLs, else eth_src.
func (c *compiler) afterVLAN(v *config.VLAN) string {
	if len(v.ACLsIn) > 0 {
		return TableVLANACL
	}
	return TableEthSrc
}

// fromVLANTable is the goto of the vlan table's port flows.
func (c *compiler) fromVLANTable(v *config.VLAN) string {
	if c.tables.Has(TableVoIP) {
		return TableVoIP
	}
	return c.afterVLAN(v)
}
