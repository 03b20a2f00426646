package oftable

import (
	"cmp"
	"slices"
	"strings"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Config describes the modelled switch.
type Config struct {
	// NumTables is the number of flow tables, numbered from 0. Zero means
	// 255 (tables 0-254), as Open vSwitch has.
	NumTables int
	// Ports lists the switch's ports. When set, output to FLOOD or ALL is
	// expanded to every listed port except the ingress port; when empty,
	// such outputs are reported with the reserved port number.
	Ports []uint32
	// PortUp reports whether a port is live, for fast-failover groups and
	// watch ports. Nil means every port is live.
	PortUp func(port uint32) bool
}

// Table is an in-memory OpenFlow 1.3 switch: its flow tables, meters and
// groups. The zero value is not usable; call New.
type Table struct {
	cfg    Config
	tables [][]*entry // per table, sorted by priority descending, then key
	byKey  map[of13.FlowKey]*entry
	meters map[uint32]*meter
	groups map[uint32]*group
}

// entry is one installed flow with its counters.
type entry struct {
	flow    of13.Flow
	key     of13.FlowKey
	sortKey string
	packets uint64
	bytes   uint64
}

// FlowStats is a flow with its counters, as a flow-stats reply carries it.
type FlowStats struct {
	of13.Flow
	Packets uint64
	Bytes   uint64
}

// New returns an empty switch.
func New(cfg Config) *Table {
	if cfg.NumTables <= 0 || cfg.NumTables > 255 {
		cfg.NumTables = 255
	}
	cfg.Ports = slices.Clone(cfg.Ports)
	return &Table{
		cfg:    cfg,
		tables: make([][]*entry, cfg.NumTables),
		byKey:  make(map[of13.FlowKey]*entry),
		meters: make(map[uint32]*meter),
		groups: make(map[uint32]*group),
	}
}

// Clone returns an independent copy of t, counters included.
func (t *Table) Clone() *Table {
	c := New(t.cfg)
	for i, es := range t.tables {
		c.tables[i] = make([]*entry, len(es))
		for j, e := range es {
			ce := *e
			c.tables[i][j] = &ce
			c.byKey[ce.key] = &ce
		}
	}
	for id, m := range t.meters {
		cm := *m
		c.meters[id] = &cm
	}
	for id, g := range t.groups {
		cg := *g
		c.groups[id] = &cg
	}
	return c
}

// Len returns the number of installed flows.
func (t *Table) Len() int { return len(t.byKey) }

// Flow returns the installed flow with key k.
func (t *Table) Flow(k of13.FlowKey) (of13.Flow, bool) {
	e, ok := t.byKey[k]
	if !ok {
		return of13.Flow{}, false
	}
	return e.flow, true
}

// Flows returns every installed flow sorted by table, descending priority
// and match, the order Dump and String use. The flows share slices with
// the table and must not be modified.
func (t *Table) Flows() []of13.Flow {
	out := make([]of13.Flow, 0, len(t.byKey))
	for _, es := range t.tables {
		for _, e := range es {
			out = append(out, e.flow)
		}
	}
	return out
}

// Dump returns every installed flow with its counters, in Flows order.
func (t *Table) Dump() []FlowStats {
	out := make([]FlowStats, 0, len(t.byKey))
	for _, es := range t.tables {
		for _, e := range es {
			out = append(out, FlowStats{Flow: e.flow, Packets: e.packets, Bytes: e.bytes})
		}
	}
	return out
}

// Stats returns the counters of the flow with key k.
func (t *Table) Stats(k of13.FlowKey) (packets, bytes uint64, ok bool) {
	e, ok := t.byKey[k]
	if !ok {
		return 0, 0, false
	}
	return e.packets, e.bytes, true
}

// Meters returns the meters sorted by id.
func (t *Table) Meters() []of13.Meter {
	out := make([]of13.Meter, 0, len(t.meters))
	for _, m := range t.meters {
		out = append(out, m.Meter)
	}
	slices.SortFunc(out, func(a, b of13.Meter) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Groups returns the groups sorted by id.
func (t *Table) Groups() []of13.Group {
	out := make([]of13.Group, 0, len(t.groups))
	for _, g := range t.groups {
		out = append(out, g.Group)
	}
	slices.SortFunc(out, func(a, b of13.Group) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// String renders meters, groups and flows one per line in ovs-ofctl
// syntax, in a stable order: two tables holding the same state render the
// same text, which makes it a convenient golden value and a state hash.
func (t *Table) String() string {
	var b strings.Builder
	for _, m := range t.Meters() {
		b.WriteString(m.String())
		b.WriteByte('\n')
	}
	for _, g := range t.Groups() {
		b.WriteString(g.String())
		b.WriteByte('\n')
	}
	for _, es := range t.tables {
		for _, e := range es {
			b.WriteString(e.flow.String())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// compareEntries orders flows within a table: higher priority first, then
// by match bytes so that the order, and the winner among overlapping flows
// of equal priority, never depends on insertion order.
func compareEntries(a, b *entry) int {
	if c := cmp.Compare(b.flow.Priority, a.flow.Priority); c != 0 {
		return c
	}
	return strings.Compare(a.sortKey, b.sortKey)
}

// insert adds a new entry (its key must be absent).
func (t *Table) insert(e *entry) {
	es := t.tables[e.flow.Table]
	i, _ := slices.BinarySearchFunc(es, e, compareEntries)
	t.tables[e.flow.Table] = slices.Insert(es, i, e)
	t.byKey[e.key] = e
}

// removeEntry deletes one installed entry.
func (t *Table) removeEntry(e *entry) {
	es := t.tables[e.flow.Table]
	if i, ok := slices.BinarySearchFunc(es, e, compareEntries); ok {
		t.tables[e.flow.Table] = slices.Delete(es, i, i+1)
	}
	delete(t.byKey, e.key)
}

// remove deletes the entries for which drop returns true from table id.
func (t *Table) remove(id uint8, drop func(*entry) bool) int {
	n := 0
	t.tables[id] = slices.DeleteFunc(t.tables[id], func(e *entry) bool {
		if drop(e) {
			delete(t.byKey, e.key)
			n++
			return true
		}
		return false
	})
	return n
}

// removeAll deletes matching entries from every table.
func (t *Table) removeAll(drop func(*entry) bool) int {
	n := 0
	for id := range t.tables {
		n += t.remove(uint8(id), drop)
	}
	return n
}

func newEntry(f of13.Flow) *entry {
	f.Match = slices.Clone(f.Match)
	f.Instr = cloneInstr(f.Instr)
	k := f.Key()
	return &entry{flow: f, key: k, sortKey: k.String()}
}

func cloneInstr(i of13.Instructions) of13.Instructions {
	i.Apply = slices.Clone(i.Apply)
	i.Write = slices.Clone(i.Write)
	return i
}
