package ovslab_test

import (
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// What add-flows installs comes back parsed field by field.
func TestDumpFlowsMetersGroups(t *testing.T) {
	lab := ovslab.New(t)
	must[*ovslab.Bridge](t)(lab.AddBridge("sw1", 0x1234))
	must[*ovslab.Port](t)(lab.AddPort("sw1", 1))
	must[*ovslab.Port](t)(lab.AddPort("sw1", 2))
	noErr(t, lab.AddFlowsBundleText("sw1", `
cookie=0x5adc15c0,table=0,priority=9000,in_port=1,dl_vlan=100 actions=pop_vlan,goto_table:1
table=1,priority=100,idle_timeout=30,hard_timeout=60,send_flow_rem,udp,nw_src=10.0.0.0/24,tp_dst=5004 actions=set_field:46->ip_dscp,output:2
table=1 actions=drop
`))
	flows := must[[]ovslab.Flow](t)(lab.DumpFlows("sw1"))
	if len(flows) != 3 {
		t.Fatalf("%d flows, want 3: %+v", len(flows), flows)
	}
	var f0, f1, f2 *ovslab.Flow
	for i := range flows {
		f := &flows[i]
		switch {
		case f.Table == 0:
			f0 = f
		case f.Priority == 100:
			f1 = f
		default:
			f2 = f
		}
	}
	if f0 == nil || f0.Cookie != 0x5adc15c0 || f0.Priority != 9000 || f0.Match["in_port"] != "1" ||
		f0.Match["dl_vlan"] != "100" || f0.Actions != "pop_vlan,goto_table:1" {
		t.Errorf("table 0 flow: %+v", f0)
	}
	if f1 == nil || f1.Table != 1 || f1.IdleTimeout != 30 || f1.HardTimeout != 60 ||
		!slices.Equal(f1.MatchKeys, []string{"udp", "nw_src", "tp_dst"}) || f1.Match["nw_src"] != "10.0.0.0/24" ||
		!slices.Contains(f1.Flags, "send_flow_rem") || f1.Actions != "set_field:46->ip_dscp,output:2" {
		t.Errorf("table 1 marking flow: %+v", f1)
	}
	if f2 == nil || f2.Priority != 32768 || len(f2.Match) != 0 || f2.Actions != "drop" {
		t.Errorf("table 1 default flow: %+v", f2)
	}

	_ = must[string](t)(lab.OfctlRaw("add-meter", "sw1", "meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100"))
	_ = must[string](t)(lab.OfctlRaw("add-group", "sw1", "group_id=7,type=all,bucket=actions=output:1,bucket=actions=output:2"))
	meters := must[[]ovslab.Meter](t)(lab.DumpMeters("sw1"))
	if len(meters) != 1 || meters[0].ID != 1 || len(meters[0].Bands) != 1 || meters[0].Bands[0].Rate != 1000 ||
		meters[0].Bands[0].Burst != 100 || !slices.Contains(meters[0].Flags, "kbps") {
		t.Errorf("meters: %+v", meters)
	}
	ms := must[[]ovslab.MeterStats](t)(lab.MeterStats("sw1"))
	if len(ms) != 1 || ms[0].ID != 1 || len(ms[0].Bands) != 1 {
		t.Errorf("meter stats: %+v", ms)
	}
	groups := must[[]ovslab.Group](t)(lab.DumpGroups("sw1"))
	if len(groups) != 1 || groups[0].ID != 7 || groups[0].Type != "all" ||
		!slices.Equal(groups[0].Buckets, []string{"actions=output:1", "actions=output:2"}) {
		t.Errorf("groups: %+v", groups)
	}
	ports := must[[]ovslab.PortStats](t)(lab.DumpPorts("sw1"))
	if len(ports) != 3 {
		t.Errorf("port stats: %+v", ports)
	}

	// A bundle with one bad flow installs nothing.
	err := lab.AddFlowsBundleText("sw1", "table=2 actions=drop\ntable=2,nosuchfield=1 actions=drop\n")
	if err == nil {
		t.Fatal("bundle with a bad flow succeeded")
	}
	if got := must[[]ovslab.Flow](t)(lab.DumpFlows("sw1", "table=2")); len(got) != 0 {
		t.Errorf("partial bundle applied: %+v", got)
	}
}
