package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

const benchDPID = 0xb1

// benchConfig is a 48-port switch with 10 VLANs and the same 6-rule ACL on
// every port; moved puts port 1 on the second VLAN instead of the first.
func benchConfig(moved bool) string {
	var b strings.Builder
	b.WriteString("vlans:\n")
	for i := range 10 {
		fmt.Fprintf(&b, "  v%d:\n    vid: %d\n", i, 100+i)
	}
	b.WriteString(`acls:
  six:
    - rule: {dl_type: 0x800, nw_proto: 6, tcp_dst: 23, actions: {allow: false}}
    - rule: {dl_type: 0x800, nw_proto: 6, tcp_dst: 135, actions: {allow: false}}
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 137, actions: {allow: false}}
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 138, actions: {allow: false}}
    - rule: {dl_type: 0x86dd, nw_proto: 17, udp_dst: 547, actions: {allow: false}}
    - rule: {actions: {allow: true}}
dps:
  bench:
    dp_id: 0xb1
    hardware: Open vSwitch
    interfaces:
`)
	for p := 1; p <= 48; p++ {
		v := (p - 1) % 10
		if p == 1 && moved {
			v = 1
		}
		fmt.Fprintf(&b, "      %d:\n        native_vlan: v%d\n        acls_in: [six]\n", p, v)
	}
	return b.String()
}

// benchLab is a lab with a 48-port bridge controlled by an in-process
// controller running benchConfig.
func benchLab(b *testing.B) (*ovslab.Lab, *e2etest.Controller) {
	lab := ovslab.New(b)
	ctl := e2etest.Start(b, benchConfig(false))
	if _, err := lab.AddBridge("bench", benchDPID, ovslab.WithController(ctl.Target()), ovslab.MaxBackoff(time.Second)); err != nil {
		b.Fatal(err)
	}
	for p := 1; p <= 48; p++ {
		if _, err := lab.AddPort("bench", p); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ctl.WaitSynced(ctx, benchDPID, 1)
	return lab, ctl
}

// BenchmarkColdStart measures a switch with an empty table connecting to
// the controller: from the session's Connected to the last barrier of the
// reconciliation (read state, send every flow, meter and group, confirm).
// Run: go test ./internal/e2e -run XXX -bench ColdStart -benchtime 20x
func BenchmarkColdStart(b *testing.B) {
	lab, ctl := benchLab(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	flows, err := lab.DumpFlows("bench")
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := lab.DelController("bench"); err != nil {
			b.Fatal(err)
		}
		if err := lab.DelFlows("bench", ""); err != nil {
			b.Fatal(err)
		}
		n := ctl.Status(benchDPID).Syncs
		b.StartTimer()
		if err := lab.SetController("bench", ctl.Target()); err != nil {
			b.Fatal(err)
		}
		ctl.WaitSynced(ctx, benchDPID, n+1)
		total += ctl.Status(benchDPID).LastSync
	}
	b.StopTimer()
	got, err := lab.DumpFlows("bench")
	if err != nil {
		b.Fatal(err)
	}
	// The ports' veth peers send IPv6 router solicitations, so a few
	// hosts may be learned meanwhile: the table can only have grown.
	if len(got) < len(flows) {
		b.Fatalf("after a cold start the switch has %d flows, want at least %d", len(got), len(flows))
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms-connect-to-synced")
	b.ReportMetric(float64(ctl.Status(benchDPID).Flows), "flows")
}

// BenchmarkWarmReload measures a reload that moves port 1 to another VLAN
// (and back, alternately): load and validate the file, diff, send the
// changed owners' flows, confirm with barriers.
// Run: go test ./internal/e2e -run XXX -bench WarmReload -benchtime 20x
func BenchmarkWarmReload(b *testing.B) {
	_, ctl := benchLab(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var adds, dels uint64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		ctl.WriteConfig(benchConfig(i%2 == 0))
		before := ctl.Status(benchDPID)
		b.StartTimer()
		if err := ctl.App().Reload(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		after := ctl.Status(benchDPID)
		if after.Syncs != before.Syncs || !after.Connected {
			b.Fatal("the reload reconnected the switch")
		}
		adds += after.FlowAdds - before.FlowAdds
		dels += after.FlowDeletes - before.FlowDeletes
		b.StartTimer()
	}
	b.ReportMetric(float64(adds)/float64(b.N), "flow-adds/op")
	b.ReportMetric(float64(dels)/float64(b.N), "flow-deletes/op")
}
