package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Table names, as Faucet names them (plus voipsdn's voip table).
const (
	TablePortACL       = "port_acl"
	TableVLAN          = "vlan"
	TableVoIP          = "voip"
	TableVLANACL       = "vlan_acl"
	TableEthSrc        = "eth_src"
	TableIPv4FIB       = "ipv4_fib"
	TableIPv6FIB       = "ipv6_fib"
	TableVIP           = "vip"
	TableEthDstHairpin = "eth_dst_hairpin"
	TableEthDst        = "eth_dst"
	TableEgressACL     = "egress_acl"
	TableEgress        = "egress"
	TableFlood         = "flood"
)

// MatchDecl is one match field a table accepts; Maskable says whether a
// flow may match it under a mask.
type MatchDecl struct {
	Field    of13.Field
	Maskable bool
}

// TableDecl declares one table of the pipeline: what its flows may match,
// which fields they may set, where they may continue, and what happens to
// a packet no flow matches. It mirrors Faucet's ValveTableConfig.
type TableDecl struct {
	Name string
	// Match lists the fields flows may match. AnyMatch tables (the ACL
	// tables before compaction) accept any field; Compile narrows them to
	// the fields the configured ACLs use, as Faucet does.
	Match    []MatchDecl
	AnyMatch bool
	// SetFields lists the fields apply-actions may rewrite; AnySet accepts any.
	SetFields []of13.Field
	AnySet    bool
	// Next lists the tables flows may go to.
	Next []string
	// Miss is the table the table-miss flow goes to; "" means drop.
	Miss string
	// ExactMatch tables require every non-miss flow to match all of Match.
	ExactMatch bool
}

// eth_dst is first in Faucet's lists of L2 forwarding destinations.
var nextEth = []string{TableEthDstHairpin, TableEthDst, TableFlood}
var nextVIP = append([]string{TableVIP}, nextEth...)

func fibDecl(name string, dst of13.Field) TableDecl {
	return TableDecl{
		Name:      name,
		Match:     []MatchDecl{{of13.FieldEthType, false}, {dst, true}, {of13.FieldVlanVID, false}},
		SetFields: []of13.Field{of13.FieldEthDst, of13.FieldEthSrc, of13.FieldVlanVID},
		Next:      nextVIP,
	}
}

// faucetPipeline is every table voipsdn knows, in Faucet's order
// (faucet/faucet_pipeline.py FAUCET_PIPELINE), with the voip table between
// vlan and vlan_acl. Faucet's copro and classification tables are not
// implemented and not declared. It is read-only.
var faucetPipeline = []TableDecl{
	{
		Name:     TablePortACL,
		AnyMatch: true, AnySet: true,
		Next: append([]string{TableVLAN}, nextVIP...),
	},
	{
		Name: TableVLAN,
		Match: []MatchDecl{{of13.FieldEthDst, true}, {of13.FieldEthType, false},
			{of13.FieldInPort, false}, {of13.FieldVlanVID, false}},
		SetFields: []of13.Field{of13.FieldVlanVID},
		Next:      []string{TableVoIP, TableVLANACL, TableEthSrc},
	},
	{
		// voip holds per-call flows (see doc.go). Its pipeline flows send
		// each VLAN on to the table the vlan table would have chosen.
		Name: TableVoIP,
		Match: []MatchDecl{{of13.FieldInPort, false}, {of13.FieldVlanVID, false},
			{of13.FieldEthType, false}, {of13.FieldIPProto, false},
			{of13.FieldIPv4Src, true}, {of13.FieldIPv4Dst, true},
			{of13.FieldIPv6Src, true}, {of13.FieldIPv6Dst, true},
			{of13.FieldUDPSrc, true}, {of13.FieldUDPDst, true},
			{of13.FieldTCPSrc, true}, {of13.FieldTCPDst, true},
			{of13.FieldICMPv6Type, false}, {of13.FieldIPDSCP, false}},
		SetFields: []of13.Field{of13.FieldIPDSCP, of13.FieldVlanPCP},
		Next:      append([]string{TableVLANACL, TableEthSrc}, nextEth...),
	},
	{
		Name:     TableVLANACL,
		AnyMatch: true, AnySet: true,
		Next: append([]string{TableEthSrc}, nextEth...),
	},
	{
		Name: TableEthSrc,
		Match: []MatchDecl{{of13.FieldEthDst, true}, {of13.FieldEthSrc, false},
			{of13.FieldEthType, false}, {of13.FieldInPort, false}, {of13.FieldVlanVID, false}},
		SetFields: []of13.Field{of13.FieldVlanVID, of13.FieldEthDst},
		Next:      append([]string{TableIPv4FIB, TableIPv6FIB}, nextVIP...),
		Miss:      TableEthDst,
	},
	fibDecl(TableIPv4FIB, of13.FieldIPv4Dst),
	fibDecl(TableIPv6FIB, of13.FieldIPv6Dst),
	{
		Name: TableVIP,
		Match: []MatchDecl{{of13.FieldARPTPA, false}, {of13.FieldEthDst, false},
			{of13.FieldEthType, false}, {of13.FieldICMPv6Type, false}, {of13.FieldIPProto, false}},
		Next: nextEth,
	},
	{
		Name:  TableEthDstHairpin,
		Match: []MatchDecl{{of13.FieldInPort, false}, {of13.FieldEthDst, false}, {of13.FieldVlanVID, false}},
		// Faucet's hairpin flows reach the egress tables through a raw
		// goto instruction (valve_of.metadata_goto_table), not declared.
		Next:       []string{TableEgress, TableEgressACL},
		Miss:       TableEthDst,
		ExactMatch: true,
	},
	{
		// With egress ACLs the miss goes to egress_acl instead (layout),
		// as DP._configure_tables sets it.
		Name:       TableEthDst,
		Match:      []MatchDecl{{of13.FieldEthDst, false}, {of13.FieldVlanVID, false}},
		Next:       []string{TableEgress, TableEgressACL},
		Miss:       TableFlood,
		ExactMatch: true,
	},
	{
		// egress_acl holds the VLANs' acls_out (egress.go); its
		// declaration is narrowed to their fields like vlan_acl's.
		Name:     TableEgressACL,
		AnyMatch: true, AnySet: true,
		Next: []string{TableEgress},
	},
	{
		// egress outputs by the (port, VLAN) that eth_dst wrote to the
		// metadata; a miss (no metadata: an unknown destination) floods.
		Name:  TableEgress,
		Match: []MatchDecl{{of13.FieldMetadata, true}, {of13.FieldVlanVID, false}},
		Next:  []string{TableFlood},
		Miss:  TableFlood,
	},
	{
		Name:  TableFlood,
		Match: []MatchDecl{{of13.FieldEthDst, true}, {of13.FieldInPort, false}, {of13.FieldVlanVID, false}},
	},
}

// minimumTables are always present (Faucet's MINIMUM_FAUCET_PIPELINE_TABLES).
var minimumTables = []string{TableVLAN, TableEthSrc, TableEthDst, TableFlood}

// Tables is a compacted table layout: the declared tables in use, numbered
// from 0 in Faucet's order. The zero value has no tables.
type Tables struct {
	decls []TableDecl
}

// newTables compacts faucetPipeline to the named tables. override replaces
// declarations that depend on the config (the ACL tables' match fields).
func newTables(include map[string]bool, override map[string]TableDecl) Tables {
	var t Tables
	for _, d := range faucetPipeline {
		if !include[d.Name] && !slices.Contains(minimumTables, d.Name) {
			continue
		}
		if a, ok := override[d.Name]; ok {
			d = a
		}
		t.decls = append(t.decls, d)
	}
	// Next tables that were compacted away are dropped, as Faucet does.
	for i := range t.decls {
		var next []string
		for _, n := range t.decls[i].Next {
			if t.has(n) {
				next = append(next, n)
			}
		}
		t.decls[i].Next = next
	}
	return t
}

func (t Tables) has(name string) bool {
	_, ok := t.ID(name)
	return ok
}

// ID returns the table number of the named table, if it is in use.
func (t Tables) ID(name string) (uint8, bool) {
	for i := range t.decls {
		if t.decls[i].Name == name {
			return uint8(i), true
		}
	}
	return 0, false
}

// Has reports whether the named table is in use.
func (t Tables) Has(name string) bool { return t.has(name) }

// Name returns the name of table id, or "" if there is none.
func (t Tables) Name(id uint8) string {
	if int(id) < len(t.decls) {
		return t.decls[id].Name
	}
	return ""
}

// Len is the number of tables in use.
func (t Tables) Len() int { return len(t.decls) }

// Names lists the tables in use in table-number order.
func (t Tables) Names() []string {
	out := make([]string, len(t.decls))
	for i, d := range t.decls {
		out[i] = d.Name
	}
	return out
}

// Decl returns the declaration of the named table.
func (t Tables) Decl(name string) (TableDecl, bool) {
	if id, ok := t.ID(name); ok {
		return t.decls[id], true
	}
	return TableDecl{}, false
}

// String renders the layout one table per line, for `voipsdn flows`.
func (t Tables) String() string {
	var b strings.Builder
	for i, d := range t.decls {
		fmt.Fprintf(&b, "table %d %s", i, d.Name)
		if d.Miss != "" {
			fmt.Fprintf(&b, " miss=goto:%s", d.Miss)
		} else {
			b.WriteString(" miss=drop")
		}
		if d.AnyMatch {
			b.WriteString(" match=any")
		} else if len(d.Match) > 0 {
			parts := make([]string, len(d.Match))
			for j, m := range d.Match {
				parts[j] = m.Field.Name()
				if m.Maskable {
					parts[j] += "/mask"
				}
			}
			b.WriteString(" match=" + strings.Join(parts, ","))
		}
		if len(d.Next) > 0 {
			b.WriteString(" next=" + strings.Join(d.Next, ","))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
