package dp

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// nullSwitch accepts everything and holds nothing.
type nullSwitch struct{ id uint64 }

func (s nullSwitch) ID() uint64                               { return s.id }
func (nullSwitch) Send(context.Context, []of13.Message) error { return nil }
func (nullSwitch) Barrier(context.Context) error              { return nil }
func (nullSwitch) SendWithBarrier(_ context.Context, _ []of13.Message, done func(error)) error {
	done(nil)
	return nil
}
func (nullSwitch) State(context.Context) (State, error) { return State{}, nil }
func (nullSwitch) Close() error                         { return nil }

// learnBenchConfig lets port 1 learn without limit (Faucet's default
// max_hosts, 255, would turn the benchmark into one of learning bans).
const learnBenchConfig = `
vlans:
  office:
    vid: 100
    max_hosts: 0
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1:
        native_vlan: office
        max_hosts: 0
      2:
        native_vlan: office
`

// BenchmarkLearn measures packet-in to flow-mods for new hosts: parse,
// classify, learn, host table, batch, send.
func BenchmarkLearn(b *testing.B) {
	cfg := mustConfig(&testing.T{}, learnBenchConfig)
	m := New(Options{Clock: newFakeClock(), LearnPPS: -1, QueueLen: 1 << 16})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = m.Run(ctx) }()
	if err := m.SetConfig(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	sw := nullSwitch{1}
	m.SwitchConnected(ctx, sw)
	r := m.runner(1)
	pkt := frame("02:00:00:00:00:00", "0e:00:00:00:99:99", 100, 0x0800, make([]byte, 40))
	b.ResetTimer()
	for i := range b.N {
		binary.BigEndian.PutUint32(pkt[8:12], uint32(i))
		pi := packetInOn(1, append([]byte(nil), pkt...))
		for len(r.queues[ClassLearn]) > 1<<15 {
			_ = r.do(ctx, func(context.Context) error { return nil })
		}
		m.SwitchPacketIn(sw, pi)
	}
	_ = r.do(ctx, func(context.Context) error { return nil })
	for len(r.queues[ClassLearn]) > 0 {
		_ = r.do(ctx, func(context.Context) error { return nil })
	}
}
