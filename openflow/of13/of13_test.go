package of13

import (
	"net"
	"net/netip"
	"testing"
)

func TestMatchCanonicalOrderAndReplace(t *testing.T) {
	a := NewMatch(EthType(0x0800), InPort(3), VlanVID(100))
	b := NewMatch(VlanVID(100), InPort(1), EthType(0x0800), InPort(3))
	if !a.Equal(b) {
		t.Fatalf("matches built in different orders differ: %v vs %v", a, b)
	}
	if got := a.String(); got != "in_port=3,dl_type=0x800,vlan_vid=0x1064" {
		t.Fatalf("String() = %q", got)
	}
	if a.Equal(a.Without(FieldVlanVID)) {
		t.Fatal("Without did not remove the field")
	}
}

func TestMaskCanonical(t *testing.T) {
	full := PrefixField(FieldIPv4Dst, netip.MustParsePrefix("10.0.0.1/32"))
	exact := AddrField(FieldIPv4Dst, netip.MustParseAddr("10.0.0.1"))
	if full != exact {
		t.Fatalf("a /32 prefix should equal an exact match: %+v vs %+v", full, exact)
	}
	p := PrefixField(FieldIPv4Dst, netip.MustParsePrefix("10.1.2.3/16"))
	if got := p.String(); got != "nw_dst=10.1.0.0/16" {
		t.Fatalf("prefix String() = %q", got)
	}
	v6 := PrefixField(FieldIPv6Dst, netip.MustParsePrefix("fc00::1:0/112"))
	if got := v6.String(); got != "ipv6_dst=fc00::1:0/112" {
		t.Fatalf("v6 prefix String() = %q", got)
	}
	m := MaskedMACField(FieldEthDst, net.HardwareAddr{1, 0x80, 0xc2, 0, 0, 5}, net.HardwareAddr{0xff, 0xff, 0xff, 0, 0, 0})
	if got := m.String(); got != "dl_dst=01:80:c2:00:00:00/ff:ff:ff:00:00:00" {
		t.Fatalf("masked MAC String() = %q", got)
	}
}

func TestFlowKeyAndEqual(t *testing.T) {
	f1 := Flow{Table: 1, Priority: 4096, Match: NewMatch(InPort(1)), Cookie: 0x5adc15c0,
		Instr: Instructions{Apply: []Action{PushVLAN(0x8100), SetVlanVID(100)}, HasGoto: true, GotoTable: 2}}
	f2 := f1
	f2.Instr = Goto(3)
	if f1.Key() != f2.Key() {
		t.Fatal("flows with the same table, priority and match must share a key")
	}
	if f1.Equal(&f2) {
		t.Fatal("flows with different instructions must not be equal")
	}
	f3 := f1
	f3.Priority++
	if f1.Key() == f3.Key() {
		t.Fatal("priority is part of the key")
	}
	want := "table=1,priority=4096,cookie=0x5adc15c0,in_port=1,actions=push_vlan:0x8100,set_field:0x1064->vlan_vid,goto_table:2"
	if got := f1.String(); got != want {
		t.Fatalf("String()\n got %s\nwant %s", got, want)
	}
	drop := Flow{Table: 0, Priority: 0}
	if got := drop.String(); got != "table=0,priority=0,actions=drop" {
		t.Fatalf("drop flow String() = %q", got)
	}
}

func TestMeterAndGroupString(t *testing.T) {
	m := Meter{ID: 3, Flags: MeterKbps | MeterStats, Bands: []MeterBand{{Type: BandDrop, Rate: 96}}}
	if got := m.String(); got != "meter=3,kbps,stats,bands=type=drop,rate=96" {
		t.Fatalf("meter String() = %q", got)
	}
	g := Group{ID: 7, Type: GroupTypeAll, Buckets: []Bucket{{Actions: []Action{Output(1)}}, {Actions: []Action{PopVLAN(), Output(2)}}}}
	if got := g.String(); got != "group_id=7,type=all,bucket=output:1,bucket=pop_vlan,output:2" {
		t.Fatalf("group String() = %q", got)
	}
}

func BenchmarkFlowKey(b *testing.B) {
	f := Flow{Table: 3, Priority: 9000, Match: NewMatch(InPort(3), EthType(0x800), IPProto(17),
		AddrField(FieldIPv4Src, netip.MustParseAddr("10.0.0.1")), AddrField(FieldIPv4Dst, netip.MustParseAddr("10.0.0.2")),
		PortField(FieldUDPSrc, 20000), PortField(FieldUDPDst, 10000))}
	b.ReportAllocs()
	for b.Loop() {
		_ = f.Key()
	}
}
