package oftable

import (
	"fmt"
	"slices"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// AnyVID tells IsOutput not to check the VLAN tag.
const AnyVID uint16 = 0xffff

// Outputs returns the copies of pkt that leave the switch.
func (t *Table) Outputs(pkt Packet) []Out { return t.Trace(pkt).Outputs }

// OutPorts returns the sorted, deduplicated ports pkt leaves on.
func (t *Table) OutPorts(pkt Packet) []uint32 {
	var ports []uint32
	for _, o := range t.Trace(pkt).Outputs {
		ports = append(ports, o.Port)
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// IsOutput reports whether pkt leaves on port with outer tag vid, given as
// an OXM vlan_vid value: 0 for untagged, vid|of13.OXMVlanPresent for
// tagged, AnyVID for either. It is Faucet's fakeoftable is_output.
func (t *Table) IsOutput(pkt Packet, port uint32, vid uint16) bool {
	for _, o := range t.Trace(pkt).Outputs {
		if o.Port == port && (vid == AnyVID || o.VID() == vid) {
			return true
		}
	}
	return false
}

// Apply applies messages in order: of13.FlowMod, of13.MeterMod and
// of13.GroupMod values or pointers; a barrier request changes nothing (the
// model applies in order already), and a packet-out is rejected with
// OFPBRC_BAD_TYPE (use Trace). It stops at the first error, which names the
// message's index; earlier messages stay applied, as on a switch.
func (t *Table) Apply(msgs ...of13.Message) error {
	for i, m := range msgs {
		var err error
		switch m := m.(type) {
		case of13.FlowMod:
			err = t.ApplyFlowMod(m)
		case *of13.FlowMod:
			err = t.ApplyFlowMod(*m)
		case of13.MeterMod:
			err = t.ApplyMeterMod(m)
		case *of13.MeterMod:
			err = t.ApplyMeterMod(*m)
		case of13.GroupMod:
			err = t.ApplyGroupMod(m)
		case *of13.GroupMod:
			err = t.ApplyGroupMod(*m)
		case of13.BarrierRequest, *of13.BarrierRequest:
		default:
			err = ErrUnsupportedMessage.with(fmt.Sprintf("%T", m))
		}
		if err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return nil
}

// AddFlows adds flows with plain flow-mod adds, for test setup.
func (t *Table) AddFlows(flows ...of13.Flow) error {
	for i := range flows {
		if err := t.ApplyFlowMod(of13.AddFlow(flows[i])); err != nil {
			return err
		}
	}
	return nil
}

// CheckRedundantSafe checks that a batch of messages is safe to send
// twice, as two controllers (or one that resends after a reconnect) might,
// which is Faucet's _verify_redundant_safe_offset_ofmsgs idea. It applies
// msgs to a copy of t, then, for each offset, sends on top a second and a
// third copy of the batch interleaved with the third delayed by offset
// messages, ignoring errors as a switch answering with errors would, and
// requires the tables to end as they were after the single batch. No
// offsets means every offset from 0 to len(msgs). t is not changed.
func (t *Table) CheckRedundantSafe(msgs []of13.Message, offsets ...int) error {
	once := t.Clone()
	if err := once.Apply(msgs...); err != nil {
		return err
	}
	want := once.String()
	if len(offsets) == 0 {
		for off := 0; off <= len(msgs); off++ {
			offsets = append(offsets, off)
		}
	}
	for _, off := range offsets {
		c := once.Clone()
		for i := -off; i < len(msgs); i++ {
			if i >= 0 {
				_ = c.Apply(msgs[i])
			}
			if j := i + off; j >= 0 && j < len(msgs) {
				_ = c.Apply(msgs[j])
			}
		}
		if got := c.String(); got != want {
			return fmt.Errorf("resending the batch with offset %d changes the tables:\n--- once\n%s--- resent\n%s", off, want, got)
		}
	}
	return nil
}
