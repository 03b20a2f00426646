package dp

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// probeConfig is twoVLANs with a voice policy on the voice VLAN only.
const probeConfig = twoVLANs + `
voip:
  qos:
    rtp_port_range: [10000, 20000]
    apply_to:
      vlans: [voice]
`

// ProbeIP asks the voice VLAN's ports (tagged where the port is tagged) who
// has an address: an ARP probe from 0.0.0.0 for IPv4, a solicitation from
// :: without options for IPv6. Other VLANs are not asked.
func TestProbeIPAsksVoiceVLANs(t *testing.T) {
	m := startManager(t, mustConfig(t, probeConfig), Options{Clock: newFakeClock()})
	sw := newFakeSwitch(1)
	ctx := context.Background()
	m.SwitchConnected(ctx, sw)
	sw.takeSent()

	for _, tc := range []struct {
		ip      string
		ethType uint16
		check   func(t *testing.T, payload []byte)
	}{
		{"10.0.200.7", 0x0806, func(t *testing.T, a []byte) {
			if op := binary.BigEndian.Uint16(a[6:]); op != 1 || !bytes.Equal(a[14:18], []byte{0, 0, 0, 0}) ||
				netip.AddrFrom4([4]byte(a[24:28])) != netip.MustParseAddr("10.0.200.7") {
				t.Errorf("not an ARP probe for 10.0.200.7: % x", a)
			}
		}},
		{"fc00::200:7", 0x86dd, func(t *testing.T, p []byte) {
			src := netip.AddrFrom16([16]byte(p[8:24]))
			icmp := p[40:]
			if src != netip.IPv6Unspecified() || icmp[0] != 135 || len(icmp) != 24 ||
				netip.AddrFrom16([16]byte(icmp[8:24])) != netip.MustParseAddr("fc00::200:7") {
				t.Errorf("not a solicitation from :: for fc00::200:7: % x", p)
			}
		}},
	} {
		t.Run(tc.ip, func(t *testing.T) {
			m.ProbeIP(ctx, netip.MustParseAddr(tc.ip))
			m.syncDP(t, 1)
			var untagged, tagged []uint32
			for _, msg := range sw.takeSent() {
				po, ok := msg.(of13.PacketOut)
				if !ok {
					t.Fatalf("probe sent %T", msg)
				}
				var ports []uint32
				for _, a := range po.Actions {
					ports = append(ports, a.Port)
				}
				f := po.Data
				switch binary.BigEndian.Uint16(f[12:]) {
				case 0x8100:
					if vid := binary.BigEndian.Uint16(f[14:]) & 0xfff; vid != 200 {
						t.Errorf("tagged probe on vlan %d", vid)
					}
					tagged = append(tagged, ports...)
					f = append(f[:12:12], f[16:]...)
				default:
					untagged = append(untagged, ports...)
				}
				if et := binary.BigEndian.Uint16(f[12:]); et != tc.ethType {
					t.Fatalf("ethertype %#x, want %#x", et, tc.ethType)
				}
				tc.check(t, f[14:])
			}
			if !slices.Equal(untagged, []uint32{3}) || !slices.Equal(tagged, []uint32{4}) {
				t.Errorf("probed untagged %v and tagged %v, want [3] and [4]", untagged, tagged)
			}
		})
	}
}
