package lldp

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
)

const beaconConfig = `
vlans:
  office: {vid: 100}
  voice: {vid: 200}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    lldp_beacon: {send_interval: 5, max_per_interval: 5}
    interfaces:
      1:
        name: p1
        description: phone
        native_vlan: office
        lldp_beacon: {enable: true}
      2:
        native_vlan: office
        tagged_vlans: [voice]
      3:
        native_vlan: voice
        lldp_beacon:
          enable: true
          system_name: closet-3
          port_descr: desk 3
          org_tlvs: [{oui: 0x123456, subtype: 9, info: "beef"}]
      4:
        native_vlan: office
voip:
  qos: {voice_dscp: 46}
  lldp_med:
    voice: {priority: 5}
`

// hexFrame reads a frame written as hex with spaces and comments
// ("# ...") per line.
func hexFrame(t *testing.T, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadDP(t *testing.T, text string) *config.DP {
	t.Helper()
	cfg, err := config.LoadFileBytes("t.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.DPs[0]
}

// The frames below are written out by hand from the field layouts of IEEE
// 802.1AB-2016 §8.5 (TLV header: 7-bit type, 9-bit length) and
// ANSI/TIA-1057 §10.2 (LLDP-MED TLVs), and from what Faucet's
// valve_packet.lldp_beacon puts in them.
func TestBeaconBytes(t *testing.T) {
	d := loadDP(t, beaconConfig)
	for _, tc := range []struct {
		name string
		port uint32
		want string
	}{
		{"faucet beacon", 1, `
			01 80 c2 00 00 0e  0e 00 00 00 00 01  88 cc  # nearest bridge <- faucet_dp_mac, LLDP
			02 07 04 0e 00 00 00 00 01                    # chassis ID, MAC subtype
			04 02 05 31                                   # port ID "1", interface name subtype
			06 02 00 0f                                   # TTL 15 = 3 x send_interval
			0a 03 73 77 31                                # system name "sw1" (the DP's name)
			08 05 70 68 6f 6e 65                          # port description "phone"
			fe 05 0e 00 00 01 31                          # Faucet OUI 0e0000, subtype 1 (dp_id) "1"
			00 00                                         # End
			00 00 00 00 00 00 00 00                       # padding to 60 octets
		`},
		{"voice policy only, tagged", 2, `
			01 80 c2 00 00 0e  0e 00 00 00 00 01  88 cc
			02 07 04 0e 00 00 00 00 01
			04 02 05 32                                   # port ID "2"
			06 02 00 0f
			0a 03 73 77 31
			08 01 32                                      # port description: the port's name "2"
			0e 04 00 04 00 04                             # system capabilities: bridge, enabled
			fe 07 00 12 bb 01 00 03 04                    # MED capabilities: MED + policy, network connectivity
			fe 08 00 12 bb 02 01 41 91 6e                 # voice, T=1, VID 200, priority 5, DSCP 46
			00 00
		`},
		{"both, untagged", 3, `
			01 80 c2 00 00 0e  0e 00 00 00 00 01  88 cc
			02 07 04 0e 00 00 00 00 01
			04 02 05 33
			06 02 00 0f
			0a 08 63 6c 6f 73 65 74 2d 33                 # "closet-3": the port's system_name wins
			08 06 64 65 73 6b 20 33                       # "desk 3"
			0e 04 00 04 00 04
			fe 06 12 34 56 09 be ef                       # the configured org TLV (hex info)
			fe 05 0e 00 00 01 31
			fe 07 00 12 bb 01 00 03 04
			fe 08 00 12 bb 02 01 01 91 6e                 # T=0: the VLAN is native here
			00 00
		`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Beacon(d, d.Port(tc.port))
			if want := hexFrame(t, tc.want); !bytes.Equal(got, want) {
				t.Errorf("frame\n got % x\nwant % x", got, want)
			}
		})
	}
	if b := Beacon(d, d.Port(4)); b != nil {
		t.Errorf("port 4 has neither beacon nor voice VLAN, sent % x", b)
	}
}

// Without a dp-level lldp_beacon Faucet sends no beacons, whatever the
// ports say; a voice policy is still advertised, every DefaultMEDInterval.
func TestBeaconNeedsDPSection(t *testing.T) {
	d := loadDP(t, strings.Replace(beaconConfig, "    lldp_beacon: {send_interval: 5, max_per_interval: 5}\n", "", 1))
	if b := Beacon(d, d.Port(1)); b != nil {
		t.Errorf("beacon without dp lldp_beacon: % x", b)
	}
	f, err := Parse(Beacon(d, d.Port(2)))
	if err != nil {
		t.Fatal(err)
	}
	if f.TTL() != 90 || Interval(d) != DefaultMEDInterval {
		t.Errorf("TTL %d, interval %v; want 90 and %v", f.TTL(), Interval(d), DefaultMEDInterval)
	}
}

func TestParseRoundTrip(t *testing.T) {
	d := loadDP(t, beaconConfig)
	f, err := Parse(Beacon(d, d.Port(3)))
	if err != nil {
		t.Fatal(err)
	}
	if st, id := f.ChassisID(); st != ChassisMAC || !bytes.Equal(id, d.FaucetDPMAC) {
		t.Errorf("chassis %d % x", st, id)
	}
	if st, id := f.PortID(); st != PortIfaceName || string(id) != "3" {
		t.Errorf("port %d %q", st, id)
	}
	if s := string(f.First(TypeSystemName)); s != "closet-3" {
		t.Errorf("system name %q", s)
	}
	med := f.Orgs(OUITIA)
	if len(med) != 2 || med[0].Subtype != MEDCapabilities || med[1].Subtype != MEDNetworkPolicy {
		t.Fatalf("MED TLVs %+v", med)
	}
	np, err := ParseNetworkPolicy(med[1].Info)
	want := NetworkPolicy{App: AppVoice, VID: 200, Priority: 5, DSCP: 46}
	if err != nil || np != want {
		t.Errorf("policy %+v %v, want %+v", np, err, want)
	}
	if dpid := f.Orgs(FaucetOUI(d)); len(dpid) != 1 || string(dpid[0].Info) != "1" {
		t.Errorf("Faucet dp_id TLV %+v", dpid)
	}
}

func TestParseRejects(t *testing.T) {
	good := Beacon(loadDP(t, beaconConfig), loadDP(t, beaconConfig).Port(1))
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"short", good[:10], ErrNotLLDP},
		{"other ethertype", append(append([]byte{}, good[:12]...), 0x08, 0x00), ErrNotLLDP},
		{"truncated TLV", good[:20], ErrTruncated},
		{"no TTL", append(append([]byte{}, good[:27]...), 0, 0), ErrMandatory},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.data); err != tc.want {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	d := loadDPf(f, beaconConfig)
	for _, p := range []uint32{1, 2, 3} {
		f.Add(Beacon(d, d.Port(p)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := Parse(data)
		if err != nil {
			return
		}
		fr.ChassisID()
		fr.PortID()
		_ = fr.TTL()
		for _, o := range fr.Orgs(OUITIA) {
			if o.Subtype == MEDNetworkPolicy {
				if np, err := ParseNetworkPolicy(o.Info); err == nil {
					// The encoding is lossless for every decoded policy.
					if got := np.TLV().Value[4:]; !bytes.Equal(got, o.Info) && o.Info[1]&0x20 == 0 {
						t.Errorf("policy % x re-encodes as % x", o.Info, got)
					}
				}
			}
		}
	})
}

func loadDPf(f *testing.F, text string) *config.DP {
	cfg, err := config.LoadFileBytes("t.yaml", []byte(text))
	if err != nil {
		f.Fatal(err)
	}
	return cfg.DPs[0]
}
