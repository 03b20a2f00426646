package controller

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// benchFlows returns n distinct flows shaped like Faucet's eth_dst table:
// VLAN and destination MAC to pop_vlan and an output port.
func benchFlows(n int) []of13.Flow {
	out := make([]of13.Flow, n)
	for i := range out {
		mac := net.HardwareAddr{0x0e, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		out[i] = of13.Flow{Table: 3, Priority: 8192, Cookie: 0x5adc15c0,
			Match: of13.NewMatch(of13.VlanVID(uint16(100+i%100)), of13.EthDst(mac)),
			Instr: of13.ApplyActions(of13.PopVLAN(), of13.Output(uint32(1+i%48)))}
	}
	return out
}

// BenchmarkInstall10kFlows installs 10,000 flows into Open vSwitch through
// the session layer (Send, then one Barrier) and, for comparison, with
// `ovs-ofctl add-flows --bundle` from a file of the same flows rendered by
// of13.Flow.String. Each iteration starts from an empty table; only the
// install is timed. flows/s is the figure to compare.
func BenchmarkInstall10kFlows(b *testing.B) {
	const n = 10000
	lab := ovslab.New(b)
	rec := newRecorder()
	srv := &Server{Handler: rec}
	addr, _ := testServer(b, srv, "")
	if _, err := lab.AddBridge("br0", dpid1, ovslab.WithController("tcp:"+addr.String())); err != nil {
		b.Fatal(err)
	}
	if _, err := lab.AddBridge("br1", 0xb1); err != nil {
		b.Fatal(err)
	}
	var sw *Switch
	select {
	case sw = <-rec.sws:
	case <-time.After(20 * time.Second):
		b.Fatal("switch did not connect")
	}
	ctx := context.Background()
	flows := benchFlows(n)
	msgs := make([]of13.Message, n)
	var spec strings.Builder
	for i := range flows {
		msgs[i] = &of13.FlowMod{Command: of13.FlowAdd, Flow: flows[i]}
		spec.WriteString(flows[i].String() + "\n")
	}
	file := filepath.Join(b.TempDir(), "flows.txt")
	if err := os.WriteFile(file, []byte(spec.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	countFlows := func(bridge string) int {
		return strings.Count(ofctl(b, lab, "--no-stats", "dump-flows", bridge), "priority=8192")
	}

	b.Run("session", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if err := sw.SendAndConfirm(ctx, of13.DeleteByCookie(0, 0)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := sw.Send(ctx, msgs...); err != nil {
				b.Fatal(err)
			}
			if err := sw.Barrier(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
		if got := countFlows("br0"); got != n {
			b.Fatalf("%d flows installed, want %d", got, n)
		}
	})
	for _, mode := range []string{"--bundle", ""} {
		name := "ovs-ofctl-bundle"
		if mode == "" {
			name = "ovs-ofctl"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				ofctl(b, lab, "del-flows", "br1")
				args := []string{"-O", "OpenFlow13", "add-flows", lab.Bridge("br1").OVSName, file}
				if mode != "" {
					args = append(args, mode)
				}
				cmd := exec.Command("ovs-ofctl", args...)
				cmd.Env = lab.Env()
				b.StartTimer()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("ovs-ofctl add-flows: %v\n%s", err, out)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
			if got := countFlows("br1"); got != n {
				b.Fatalf("%d flows installed, want %d", got, n)
			}
		})
	}
}
