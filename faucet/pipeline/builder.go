package pipeline

import (
	"fmt"
	"slices"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// flowSpec describes one flow by table name; builder.build checks it
// against the table declarations and turns it into an of13.Flow.
type flowSpec struct {
	Table    string
	Priority uint16
	Match    of13.Match
	Meter    uint32
	Apply    []of13.Action
	// Goto names the next table; "" means none.
	Goto string
	// Idle and Hard are the flow's timeouts in seconds.
	Idle, Hard uint16
	// Cookie overrides the DP cookie when non-zero (ACL rule cookies).
	Cookie uint64
	// Metadata is written under MetadataMask when the mask is non-zero
	// (the egress pipeline's output port and VLAN).
	Metadata, MetadataMask uint64
}

// builder builds flows for one compacted layout and checks each against
// its table's declaration, as Faucet's ValveTable._verify_flowmod does: a
// flow that matches an undeclared field, masks an unmaskable one, sets an
// undeclared field or goes to an undeclared or absent table is a compiler
// bug and is reported as an error, never sent.
type builder struct {
	tables Tables
	cookie uint64
	flags  uint16
}

// BuildError is a flow that does not fit its table's declaration.
type BuildError struct {
	Table  string
	Reason string
	Flow   string
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("pipeline: table %s: %s (%s)", e.Table, e.Reason, e.Flow)
}

func (b *builder) fail(s *flowSpec, format string, args ...any) error {
	desc := fmt.Sprintf("priority=%d,%s", s.Priority, s.Match.String())
	return &BuildError{Table: s.Table, Reason: fmt.Sprintf(format, args...), Flow: desc}
}

// build checks s and returns the flow.
func (b *builder) build(s flowSpec) (of13.Flow, error) {
	d, ok := b.tables.Decl(s.Table)
	if !ok {
		return of13.Flow{}, b.fail(&s, "table not in pipeline")
	}
	id, _ := b.tables.ID(s.Table)
	if s.Priority == 0 && len(s.Match) > 0 {
		return of13.Flow{}, b.fail(&s, "priority 0 is reserved for the table-miss flow")
	}
	if !d.AnyMatch {
		for _, mf := range s.Match {
			i := slices.IndexFunc(d.Match, func(m MatchDecl) bool { return m.Field == mf.Field })
			if i < 0 {
				return of13.Flow{}, b.fail(&s, "match on undeclared field %s", mf.Field.Name())
			}
			if mf.Masked && !d.Match[i].Maskable {
				return of13.Flow{}, b.fail(&s, "masked match on %s, declared exact", mf.Field.Name())
			}
		}
		if d.ExactMatch && len(s.Match) > 0 && len(s.Match) != len(d.Match) {
			return of13.Flow{}, b.fail(&s, "exact-match table needs all of its %d fields", len(d.Match))
		}
	}
	apply := s.Apply
	if s.Goto == "" {
		apply = trimActions(apply)
	}
	if !d.AnySet {
		for _, a := range apply {
			if a.Type == of13.ActionSetField && !slices.Contains(d.SetFields, a.Set.Field) {
				return of13.Flow{}, b.fail(&s, "set-field %s not declared", a.Set.Field.Name())
			}
		}
	}
	f := of13.Flow{
		Table:       id,
		Priority:    s.Priority,
		Match:       s.Match,
		Cookie:      b.cookie,
		IdleTimeout: s.Idle,
		HardTimeout: s.Hard,
		Flags:       b.flags,
		Instr:       of13.Instructions{Meter: s.Meter, Apply: apply, Metadata: s.Metadata, MetadataMask: s.MetadataMask},
	}
	if s.Cookie != 0 {
		f.Cookie = s.Cookie
	}
	if s.Goto != "" {
		next, ok := b.tables.ID(s.Goto)
		switch {
		case !ok:
			return of13.Flow{}, b.fail(&s, "goto %s: table not in pipeline", s.Goto)
		case s.Priority == 0 && len(s.Match) == 0:
			if d.Miss != s.Goto {
				return of13.Flow{}, b.fail(&s, "miss goto %s, declared %q", s.Goto, d.Miss)
			}
		case !slices.Contains(d.Next, s.Goto):
			return of13.Flow{}, b.fail(&s, "goto %s not declared as a next table", s.Goto)
		}
		if next <= id {
			return of13.Flow{}, b.fail(&s, "goto %s must go forward", s.Goto)
		}
		f.Instr.HasGoto, f.Instr.GotoTable = true, next
	}
	return f, nil
}

// trimActions drops actions after the last output or group action of a
// flow that does not continue to another table: they cannot affect any
// packet (Faucet's ValveTable._trim_actions).
func trimActions(as []of13.Action) []of13.Action {
	last := -1
	for i, a := range as {
		if a.Type == of13.ActionOutput || a.Type == of13.ActionGroup {
			last = i
		}
	}
	if last == len(as)-1 {
		return as
	}
	return as[:last+1]
}

// emitter collects flows by owner and keeps the first build error.
type emitter struct {
	b     *builder
	flows map[string][]of13.Flow
	err   error
}

func (e *emitter) add(owner string, s flowSpec) {
	if e.err != nil {
		return
	}
	f, err := e.b.build(s)
	if err != nil {
		e.err = fmt.Errorf("%s: %w", owner, err)
		return
	}
	fs := e.flows[owner]
	if fs == nil {
		// A learned host, the owner compiled at packet-in rate, has
		// two flows: one allocation for them, and no spare capacity
		// kept alive by the DP's host table.
		fs = make([]of13.Flow, 0, 2)
	}
	e.flows[owner] = append(fs, f)
}
