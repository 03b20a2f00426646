package oftable

import (
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// ApplyFlowMod applies one flow-mod with OpenFlow 1.3 §6.4 semantics. On
// error the table is unchanged and the error is an Error naming the
// OpenFlow type and code a switch would reply with.
func (t *Table) ApplyFlowMod(fm of13.FlowMod) error {
	var err error
	switch fm.Command {
	case of13.FlowAdd:
		err = t.add(&fm)
	case of13.FlowModify, of13.FlowModifyStrict:
		err = t.modify(&fm)
	case of13.FlowDelete, of13.FlowDeleteStrict:
		err = t.delete(&fm)
	default:
		err = ErrBadFlowCommand.with(fmt.Sprintf("command %d", fm.Command))
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", fm.Command, flowDesc(&fm.Flow), err)
	}
	return nil
}

func flowDesc(f *of13.Flow) string {
	s := fmt.Sprintf("table=%d,priority=%d", f.Table, f.Priority)
	if len(f.Match) > 0 {
		s += "," + f.Match.String()
	}
	return s
}

func (t *Table) add(fm *of13.FlowMod) error {
	if int(fm.Table) >= len(t.tables) {
		return ErrBadTableIDFlow.with(fmt.Sprintf("table %d does not exist", fm.Table))
	}
	m, err := t.checkMatch(fm.Match)
	if err != nil {
		return err
	}
	f := fm.Flow
	f.Match = m
	if err := t.checkInstructions(&f); err != nil {
		return err
	}
	e := newEntry(f)
	if fm.Flags&of13.FlagCheckOverlap != 0 {
		for _, o := range t.tables[f.Table] {
			if o.flow.Priority == f.Priority && overlaps(o.flow.Match, f.Match) {
				return ErrOverlap.with("overlaps " + o.flow.String())
			}
		}
	}
	if old, ok := t.byKey[e.key]; ok {
		// §6.4: an identical flow is replaced; its counters carry over
		// unless OFPFF_RESET_COUNTS is set.
		if f.Flags&of13.FlagResetCounts == 0 {
			e.packets, e.bytes = old.packets, old.bytes
		}
		*old = *e
		return nil
	}
	t.insert(e)
	return nil
}

func (t *Table) modify(fm *of13.FlowMod) error {
	if int(fm.Table) >= len(t.tables) {
		return ErrBadTableIDFlow.with(fmt.Sprintf("table %d does not exist", fm.Table))
	}
	m, err := t.checkMatch(fm.Match)
	if err != nil {
		return err
	}
	f := fm.Flow
	f.Match = m
	if err := t.checkInstructions(&f); err != nil {
		return err
	}
	instr := cloneInstr(f.Instr)
	strict := fm.Command == of13.FlowModifyStrict
	// §6.4: modify changes the instructions of the selected flows and
	// leaves cookie, timeouts, flags and counters alone; in OpenFlow 1.2 and
	// later it never adds a flow.
	for _, e := range t.tables[f.Table] {
		if selects(e, fm, m, strict, false) {
			e.flow.Instr = instr
			if fm.Flags&of13.FlagResetCounts != 0 {
				e.packets, e.bytes = 0, 0
			}
		}
	}
	return nil
}

func (t *Table) delete(fm *of13.FlowMod) error {
	if fm.Table != of13.TableAll && int(fm.Table) >= len(t.tables) {
		return ErrBadTableIDFlow.with(fmt.Sprintf("table %d does not exist", fm.Table))
	}
	m, err := t.checkMatch(fm.Match)
	if err != nil {
		return err
	}
	strict := fm.Command == of13.FlowDeleteStrict
	if strict && fm.Table != of13.TableAll {
		// The common case, a reconciler removing one flow: find it by key.
		k := (&of13.Flow{Table: fm.Table, Priority: fm.Priority, Match: m}).Key()
		if e, ok := t.byKey[k]; ok && selects(e, fm, m, true, true) {
			t.removeEntry(e)
		}
		return nil
	}
	drop := func(e *entry) bool { return selects(e, fm, m, strict, true) }
	if fm.Table == of13.TableAll {
		t.removeAll(drop)
	} else {
		t.remove(fm.Table, drop)
	}
	return nil
}

// selects reports whether a modify or delete selects e. Strict requests
// select the flow with the same priority and identical match; non-strict
// ones every flow whose match is the request's or more specific, whatever
// its priority. The cookie mask and, for deletes, out_port and out_group
// narrow the selection further.
func selects(e *entry, fm *of13.FlowMod, m of13.Match, strict, isDelete bool) bool {
	if fm.CookieMask != 0 && (e.flow.Cookie^fm.Cookie)&fm.CookieMask != 0 {
		return false
	}
	if strict {
		if e.flow.Priority != fm.Priority || !e.flow.Match.Equal(m) {
			return false
		}
	} else if !covers(m, e.flow.Match) {
		return false
	}
	if isDelete {
		if fm.OutPort != 0 && fm.OutPort != of13.PortAny && !outputsTo(&e.flow.Instr, fm.OutPort) {
			return false
		}
		if fm.OutGroup != 0 && fm.OutGroup != of13.GroupAny && !usesGroup(&e.flow.Instr, fm.OutGroup) {
			return false
		}
	}
	return true
}

// covers reports whether every packet matching flow also matches req: flow
// has every field of req, with a mask at least as wide, and agrees with req
// on req's masked bits (§6.4, "exactly matches or is more specific").
func covers(req, flow of13.Match) bool {
	j := 0
	for _, r := range req {
		for j < len(flow) && flow[j].Field < r.Field {
			j++
		}
		if j == len(flow) || flow[j].Field != r.Field {
			return false
		}
		f := flow[j]
		n := r.Field.Size()
		for i := 0; i < n; i++ {
			rm, fmk := byte(0xff), byte(0xff)
			if r.Masked {
				rm = r.Mask[i]
			}
			if f.Masked {
				fmk = f.Mask[i]
			}
			if fmk&rm != rm || f.Value[i]&rm != r.Value[i] {
				return false
			}
		}
	}
	return true
}

// overlaps reports whether some packet could match both a and b: on every
// field they share, the values agree on the bits both masks keep.
func overlaps(a, b of13.Match) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].Field < b[j].Field:
			i++
		case a[i].Field > b[j].Field:
			j++
		default:
			x, y := a[i], b[j]
			for k := 0; k < x.Field.Size(); k++ {
				xm, ym := byte(0xff), byte(0xff)
				if x.Masked {
					xm = x.Mask[k]
				}
				if y.Masked {
					ym = y.Mask[k]
				}
				if (x.Value[k]^y.Value[k])&xm&ym != 0 {
					return false
				}
			}
			i++
			j++
		}
	}
	return true
}

func outputsTo(in *of13.Instructions, port uint32) bool {
	for _, as := range [][]of13.Action{in.Apply, in.Write} {
		for _, a := range as {
			if a.Type == of13.ActionOutput && a.Port == port {
				return true
			}
		}
	}
	return false
}

func usesGroup(in *of13.Instructions, id uint32) bool {
	for _, as := range [][]of13.Action{in.Apply, in.Write} {
		for _, a := range as {
			if a.Type == of13.ActionGroup && a.Arg == id {
				return true
			}
		}
	}
	return false
}
