package wire

import (
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// AppendActions appends an action list.
func AppendActions(b []byte, as []of13.Action) []byte {
	for i := range as {
		b = appendAction(b, &as[i])
	}
	return b
}

func appendAction(b []byte, a *of13.Action) []byte {
	switch a.Type {
	case of13.ActionOutput:
		b = append(b, 0, 0, 0, 16)
		b = be32(b, a.Port)
		b = be16(b, a.MaxLen)
		return zeros(b, 6)
	case of13.ActionSetField:
		start := len(b)
		b = append(b, 0, byte(of13.ActionSetField), 0, 0)
		b = appendOXM(b, &a.Set)
		b = pad8(b, start)
		b[start+2], b[start+3] = byte((len(b)-start)>>8), byte(len(b)-start)
		return b
	}
	b = be16(b, uint16(a.Type))
	b = append(b, 0, 8)
	switch a.Type {
	case of13.ActionPushVLAN, of13.ActionPushMPLS, of13.ActionPopMPLS, of13.ActionPushPBB:
		b = be16(b, a.EtherType)
		return zeros(b, 2)
	case of13.ActionSetQueue, of13.ActionGroup:
		return be32(b, a.Arg)
	case of13.ActionSetNwTTL, of13.ActionSetMPLSTTL:
		return append(b, byte(a.Arg), 0, 0, 0)
	}
	return zeros(b, 4)
}

// decodeActions reads an action list filling all of c.
func decodeActions(c *cursor) ([]of13.Action, error) {
	var out []of13.Action
	for c.left() > 0 {
		typ, l := c.u16(), int(c.u16())
		if c.err != nil {
			return nil, fmt.Errorf("action header: %w", c.err)
		}
		if l < 8 || l%8 != 0 {
			return nil, fmt.Errorf("action type %d: bad length %d", typ, l)
		}
		body := c.sub(l - 4)
		if c.err != nil {
			return nil, fmt.Errorf("action type %d: %w", typ, c.err)
		}
		a := of13.Action{Type: of13.ActionType(typ)}
		switch a.Type {
		case of13.ActionOutput:
			a.Port, a.MaxLen = body.u32(), body.u16()
			if a.Port != of13.PortController {
				// max_len only means something for the controller port;
				// switches echo whatever was sent.
				a.MaxLen = 0
			}
		case of13.ActionPushVLAN, of13.ActionPushMPLS, of13.ActionPopMPLS, of13.ActionPushPBB:
			a.EtherType = body.u16()
		case of13.ActionSetQueue, of13.ActionGroup:
			a.Arg = body.u32()
		case of13.ActionSetNwTTL, of13.ActionSetMPLSTTL:
			a.Arg = uint32(body.u8())
		case of13.ActionSetField:
			f, ok, err := decodeOXM(&body)
			if err != nil {
				return nil, fmt.Errorf("set-field: %w", err)
			}
			if !ok {
				return nil, fmt.Errorf("set-field of an unsupported field")
			}
			a = of13.SetField(f)
		case of13.ActionCopyTTLOut, of13.ActionCopyTTLIn, of13.ActionDecMPLSTTL,
			of13.ActionPopVLAN, of13.ActionDecNwTTL, of13.ActionPopPBB:
		default:
			return nil, fmt.Errorf("unsupported action type %d", typ)
		}
		if body.err != nil {
			return nil, fmt.Errorf("action type %d: %w", typ, body.err)
		}
		out = append(out, a)
	}
	return out, nil
}

// Instruction types (OFPIT_*).
const (
	instGoto          = 1
	instWriteMetadata = 2
	instWriteActions  = 3
	instApplyActions  = 4
	instClearActions  = 5
	instMeter         = 6
)

// AppendInstructions appends in in the order OpenFlow executes them.
func AppendInstructions(b []byte, in *of13.Instructions) []byte {
	if in.Meter != 0 {
		b = append(b, 0, instMeter, 0, 8)
		b = be32(b, in.Meter)
	}
	if in.HasApply || len(in.Apply) > 0 {
		b = appendActionsInst(b, instApplyActions, in.Apply)
	}
	if in.ClearActions {
		b = append(b, 0, instClearActions, 0, 8, 0, 0, 0, 0)
	}
	if len(in.Write) > 0 {
		b = appendActionsInst(b, instWriteActions, in.Write)
	}
	if in.MetadataMask != 0 {
		b = append(b, 0, instWriteMetadata, 0, 24, 0, 0, 0, 0)
		b = be64(b, in.Metadata)
		b = be64(b, in.MetadataMask)
	}
	if in.HasGoto {
		b = append(b, 0, instGoto, 0, 8, in.GotoTable, 0, 0, 0)
	}
	return b
}

func appendActionsInst(b []byte, typ byte, as []of13.Action) []byte {
	start := len(b)
	b = append(b, 0, typ, 0, 0, 0, 0, 0, 0)
	b = AppendActions(b, as)
	l := len(b) - start
	b[start+2], b[start+3] = byte(l>>8), byte(l)
	return b
}

// decodeInstructions reads an instruction list filling all of c.
func decodeInstructions(c *cursor) (of13.Instructions, error) {
	var in of13.Instructions
	for c.left() > 0 {
		typ, l := c.u16(), int(c.u16())
		if c.err != nil {
			return in, fmt.Errorf("instruction header: %w", c.err)
		}
		if l < 8 || l%8 != 0 {
			return in, fmt.Errorf("instruction type %d: bad length %d", typ, l)
		}
		body := c.sub(l - 4)
		if c.err != nil {
			return in, fmt.Errorf("instruction type %d: %w", typ, c.err)
		}
		var err error
		switch typ {
		case instGoto:
			in.HasGoto, in.GotoTable = true, body.u8()
		case instWriteMetadata:
			body.skip(4)
			in.Metadata, in.MetadataMask = body.u64(), body.u64()
			in.Metadata &= in.MetadataMask
		case instWriteActions, instApplyActions:
			body.skip(4)
			acts := body.sub(body.left())
			var as []of13.Action
			if as, err = decodeActions(&acts); err != nil {
				break
			}
			if typ == instApplyActions {
				in.Apply, in.HasApply = as, true
			} else {
				in.Write = as
			}
		case instClearActions:
			in.ClearActions = true
		case instMeter:
			in.Meter = body.u32()
		default:
			return in, fmt.Errorf("unsupported instruction type %d", typ)
		}
		if err != nil {
			return in, fmt.Errorf("instruction type %d: %w", typ, err)
		}
		if body.err != nil {
			return in, fmt.Errorf("instruction type %d: %w", typ, body.err)
		}
	}
	return in, nil
}
