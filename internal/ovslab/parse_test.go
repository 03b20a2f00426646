package ovslab_test

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// Outputs captured from ovs-ofctl 3.1 (-O OpenFlow13).
const dumpFlowsOut = `OFPST_FLOW reply (OF1.3) (xid=0x2):
 cookie=0x5adc15c0, duration=0.079s, table=0, n_packets=7, n_bytes=686, priority=9000,in_port=1,dl_vlan=100 actions=pop_vlan,goto_table:1
 cookie=0x0, duration=0.050s, table=1, n_packets=0, n_bytes=0, actions=drop
 cookie=0x0, duration=1.066s, table=1, n_packets=0, n_bytes=0, idle_timeout=30, hard_timeout=60, send_flow_rem priority=100,udp,nw_src=10.0.0.0/24,tp_dst=5004 actions=set_field:46->ip_dscp,output:2
 cookie=0x0, duration=0.037s, table=2, n_packets=0, n_bytes=0, priority=1,reg0=0x1/0x1 actions=CONTROLLER:65535
`

func TestParseFlows(t *testing.T) {
	flows, err := ovslab.ParseFlows(dumpFlowsOut)
	noErr(t, err)
	if len(flows) != 4 {
		t.Fatalf("%d flows", len(flows))
	}
	f := flows[0]
	if f.Cookie != 0x5adc15c0 || f.Table != 0 || f.Packets != 7 || f.Bytes != 686 || f.Priority != 9000 ||
		f.Duration != 79*time.Millisecond || f.MatchString() != "in_port=1,dl_vlan=100" || f.Actions != "pop_vlan,goto_table:1" {
		t.Errorf("flow 0: %+v", f)
	}
	if f := flows[1]; f.Priority != 32768 || len(f.Match) != 0 || f.Actions != "drop" || f.Table != 1 {
		t.Errorf("flow 1: %+v", f)
	}
	f = flows[2]
	if f.IdleTimeout != 30 || f.HardTimeout != 60 || !slices.Equal(f.Flags, []string{"send_flow_rem"}) ||
		f.Priority != 100 || f.MatchString() != "udp,nw_src=10.0.0.0/24,tp_dst=5004" || f.Match["udp"] != "" {
		t.Errorf("flow 2: %+v", f)
	}
	if f := flows[3]; f.Match["reg0"] != "0x1/0x1" || f.Actions != "CONTROLLER:65535" {
		t.Errorf("flow 3: %+v", f)
	}
	// --no-stats output.
	flows, err = ovslab.ParseFlows(" cookie=0x5, priority=9000,in_port=1 actions=drop\n table=1, actions=drop\n")
	noErr(t, err)
	if len(flows) != 2 || flows[0].Cookie != 5 || flows[1].Table != 1 {
		t.Errorf("no-stats: %+v", flows)
	}
	if _, err := ovslab.ParseFlows(" cookie=0x0, table=0 garbage\n"); err == nil {
		t.Error("line without actions accepted")
	}
}

func FuzzParseFlows(f *testing.F) {
	f.Add(dumpFlowsOut)
	f.Add(" table=1, actions=drop")
	f.Fuzz(func(t *testing.T, s string) {
		flows, err := ovslab.ParseFlows(s)
		if err != nil {
			return
		}
		for _, fl := range flows {
			if len(fl.MatchKeys) != len(fl.Match) {
				t.Fatalf("keys %v vs match %v", fl.MatchKeys, fl.Match)
			}
		}
	})
}

func TestParseMetersAndStats(t *testing.T) {
	ms, err := ovslab.ParseMeters(`OFPST_METER_CONFIG reply (OF1.3) (xid=0x2):
meter=1 kbps burst stats bands=
type=drop rate=1000 burst_size=100

meter=2 pktps bands=
type=drop rate=50
`)
	noErr(t, err)
	if len(ms) != 2 || ms[0].ID != 1 || !slices.Equal(ms[0].Flags, []string{"kbps", "burst", "stats"}) ||
		ms[0].Bands[0] != (ovslab.MeterBand{Type: "drop", Rate: 1000, Burst: 100}) || ms[1].Bands[0].Rate != 50 {
		t.Errorf("meters: %+v", ms)
	}
	st, err := ovslab.ParseMeterStats(`OFPST_METER reply (OF1.3) (xid=0x2):
meter:1 flow_count:2 packet_in_count:30 byte_in_count:4500 duration:0.043s bands:
0: packet_count:12 byte_count:1800
`)
	noErr(t, err)
	if len(st) != 1 || st[0].FlowCount != 2 || st[0].Packets != 30 || st[0].Bytes != 4500 ||
		len(st[0].Bands) != 1 || st[0].Bands[0].Packets != 12 {
		t.Errorf("meter stats: %+v", st)
	}
}

func TestParseGroupsPorts(t *testing.T) {
	gs, err := ovslab.ParseGroups(`OFPST_GROUP_DESC reply (OF1.3) (xid=0x2):
 group_id=2,type=select,bucket=weight:10,actions=output:1
 group_id=1,type=all,bucket=actions=output:1,bucket=actions=output:2
`)
	noErr(t, err)
	if len(gs) != 2 || gs[0].ID != 2 || gs[0].Type != "select" || !slices.Equal(gs[0].Buckets, []string{"weight:10,actions=output:1"}) ||
		len(gs[1].Buckets) != 2 {
		t.Errorf("groups: %+v", gs)
	}
	ps, err := ovslab.ParsePortStats(`OFPST_PORT reply (OF1.3) (xid=0x2): 2 ports
  port LOCAL: rx pkts=0, bytes=0, drop=0, errs=0, frame=0, over=0, crc=0
           tx pkts=0, bytes=0, drop=0, errs=0, coll=0
           duration=0.142s
  port  1: rx pkts=5, bytes=420, drop=1, errs=0, frame=0, over=0, crc=0
           tx pkts=6, bytes=500, drop=2, errs=?, coll=0
           duration=0.134s
`)
	noErr(t, err)
	if len(ps) != 2 || ps[0].Port != "LOCAL" || ps[1].Port != "1" || ps[1].RxPackets != 5 || ps[1].RxBytes != 420 ||
		ps[1].RxDropped != 1 || ps[1].TxPackets != 6 || ps[1].TxDropped != 2 || ps[1].Duration != 134*time.Millisecond {
		t.Errorf("ports: %+v", ps)
	}
	pd, err := ovslab.ParsePortsDesc(`OFPST_PORT_DESC reply (OF1.3) (xid=0x2):
 1(xp1): addr:fe:3e:99:07:ef:de
     config:     0
     state:      LIVE
     speed: 10000 Mbps now, 0 Mbps max
 LOCAL(xbr0): addr:12:2a:83:f6:5a:43
     config:     PORT_DOWN
     state:      LINK_DOWN
`)
	noErr(t, err)
	if len(pd) != 2 || pd[0].Name != "xp1" || pd[0].MAC != "fe:3e:99:07:ef:de" || !pd[0].LinkUp() ||
		pd[1].Port != "LOCAL" || pd[1].LinkUp() {
		t.Errorf("ports desc: %+v", pd)
	}
}

// pcapFile builds a little-endian microsecond pcap of Ethernet frames.
func pcapFile(frames ...[]byte) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], 65535)
	binary.LittleEndian.PutUint32(b[20:], 1)
	for i, f := range frames {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec, uint32(1700000000+i))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(f)))
		b = append(append(b, rec...), f...)
	}
	return b
}

func TestParsePcap(t *testing.T) {
	// 802.1Q-tagged (vid 100, pcp 5) IPv4 UDP 10.0.0.1:4000 -> 10.0.0.2:5004, TOS 0xb8.
	tagged := []byte{
		0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x81, 0x00, 0xa0, 0x64, 0x08, 0x00,
		0x45, 0xb8, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x0f, 0xa0, 0x13, 0x8c, 0, 8, 0, 0,
	}
	// IPv6 UDP fc00::1 -> fc00::2, traffic class 0x88.
	v6 := []byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x68, 0x80, 0, 0, 0, 8, 17, 64}
	v6 = append(v6, netip.MustParseAddr("fc00::1").AsSlice()...)
	v6 = append(v6, netip.MustParseAddr("fc00::2").AsSlice()...)
	v6 = append(v6, 0x17, 0x70, 0x17, 0x71, 0, 8, 0, 0)
	file := pcapFile(tagged, v6)
	pkts, err := ovslab.ParsePcap(file[:len(file)-3]) // last record cut short: ignored
	noErr(t, err)
	if len(pkts) != 1 {
		t.Fatalf("truncated file: %d packets", len(pkts))
	}
	pkts, err = ovslab.ParsePcap(file)
	noErr(t, err)
	if len(pkts) != 2 {
		t.Fatalf("%d packets", len(pkts))
	}
	p := pkts[0]
	if p.VLAN() != 100 || p.PCPs[0] != 5 || p.EtherType != 0x0800 || p.DSCP() != 46 || p.Proto != 17 ||
		p.Src.String() != "10.0.0.1" || p.Dst.String() != "10.0.0.2" || p.SrcPort != 4000 || p.DstPort != 5004 ||
		p.SrcMAC.String() != "00:00:00:00:00:01" || p.Time.Unix() != 1700000000 {
		t.Errorf("tagged v4: %v", p)
	}
	p = pkts[1]
	if p.VLAN() != 0 || p.TOS != 0x88 || p.Src.String() != "fc00::1" || p.DstPort != 6001 {
		t.Errorf("v6: %v", p)
	}
	if _, err := ovslab.ParsePcap([]byte(strings.Repeat("x", 40))); err == nil {
		t.Error("garbage accepted as pcap")
	}
}
