package ovslab_test

import (
	"testing"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// A tagged host's frames reach the switch port tagged: the capture on the
// switch side sees VLAN 100, and only flows matching dl_vlan=100 (popping
// the tag) let the ping through.
func TestTaggedHost(t *testing.T) {
	lab := ovslab.New(t)
	ctx := testCtx(t)
	must[*ovslab.Bridge](t)(lab.AddBridge("br0", 2))
	h1 := must[*ovslab.Host](t)(lab.AddTaggedHost(ovslab.HostSpec{Name: "h1", Bridge: "br0", OFPort: 1, Addrs: []string{"10.0.1.1/24"}}, 100))
	h2 := must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "br0", OFPort: 2, Addrs: []string{"10.0.1.2/24"}}))
	noErr(t, lab.AddFlowsBundleText("br0", `
priority=100,in_port=1,dl_vlan=100 actions=pop_vlan,output:2
priority=100,in_port=2 actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:1
`))
	noErr(t, h1.WaitPing(ctx, h2.IP().String())) // ARP done before counting
	// Frames OVS sends out keep their tag inline, where a plain "icmp" filter
	// does not look; received ones have it stripped into metadata. Match both.
	capt := must[*ovslab.Capture](t)(lab.Capture(ctx, h1.Port.Name, "icmp or (vlan and icmp)"))
	st := must[ovslab.PingStats](t)(h1.Ping(ctx, h2.IP().String(), 3))
	if st.Received != 3 {
		t.Fatalf("ping over the tagged port: %+v", st)
	}
	pkts := must[[]ovslab.Packet](t)(capt.Stop())
	var in, out int
	for _, p := range pkts {
		if p.VLAN() != 100 {
			t.Errorf("untagged or wrongly tagged frame on the switch port: %v", p)
			continue
		}
		switch {
		case p.Src == h1.IP():
			in++
		case p.Dst == h1.IP():
			out++
		}
	}
	if in != 3 || out != 3 {
		t.Errorf("capture on %s: %d requests and %d replies tagged 100, want 3 each", h1.Port.Name, in, out)
	}
	flows := must[[]ovslab.Flow](t)(lab.DumpFlows("br0", "dl_vlan=100"))
	if len(flows) != 1 || flows[0].Packets < 3 {
		t.Errorf("dl_vlan=100 flow: %+v, want >= 3 packets", flows)
	}
	// A flow for another VLAN must not match this host's frames.
	noErr(t, lab.DelFlows("br0", "in_port=1"))
	noErr(t, lab.AddFlow("br0", "priority=100,in_port=1,dl_vlan=200 actions=pop_vlan,output:2"))
	if st := must[ovslab.PingStats](t)(h1.Ping(ctx, h2.IP().String(), 1)); st.Received != 0 {
		t.Errorf("ping passed a flow for vlan 200: %+v", st)
	}
}
