package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func load(t *testing.T, yaml string) (*Config, error) {
	t.Helper()
	return LoadFileBytes("test.yaml", []byte(yaml))
}

func mustLoad(t *testing.T, yaml string) *Config {
	t.Helper()
	cfg, err := load(t, yaml)
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	return cfg
}

const minimal = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
`

func TestParseTable(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want lists substrings that must each appear in one error; empty
		// means the config must be valid.
		want []string
	}{
		{name: "minimal", yaml: minimal},
		{name: "yaml 1.1 booleans and hex", yaml: `
vlans: {office: {vid: 0x64, unicast_flood: no}}
dps: {sw1: {dp_id: 0x1, interfaces: {1: {native_vlan: office, enabled: yes}}}}
`},
		{name: "vlan referenced by vid", yaml: `
vlans: {office: {vid: 100}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: 100}, 2: {tagged_vlans: [office, 200]}}}}
`},
		{name: "port keyed by name", yaml: `
vlans: {office: {vid: 100}}
dps: {sw1: {dp_id: 1, interfaces: {uplink: {number: 7, native_vlan: office}}}}
`},
		{name: "acl rules form and legacy names", yaml: `
acls:
  a1:
    rules:
      - rule: {dl_type: 0x800, nw_src: 10.0.0.0/8, actions: {allow: 1}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: 100, acls_in: [a1]}}}}
`},
		{name: "unknown VLAN name", yaml: `
dps: {sw1: {dp_id: 1, interfaces: {3: {native_vlan: voice}}}}
`, want: []string{`test.yaml:2:53: dps.sw1.interfaces.3.native_vlan: unknown VLAN "voice"`}},
		{name: "unknown top-level key", yaml: minimal + "bogus: 1\n",
			want: []string{`test.yaml:9:1: bogus: unknown top-level key "bogus"`}},
		{name: "unknown dp key", yaml: `
vlans: {office: {vid: 100}}
dps:
  sw1:
    dp_id: 1
    colour: blue
    interfaces: {1: {native_vlan: office}}
`, want: []string{`test.yaml:6:5: dps.sw1.colour: unknown key "colour" in DP`}},
		{name: "unknown port key", yaml: `
vlans: {office: {vid: 100}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office, speed: 10}}}}
`, want: []string{`dps.sw1.interfaces.1.speed: unknown key "speed" in interface`}},
		{name: "bool is not int-compatible for bool keys", yaml: `
vlans: {office: {vid: 100, unicast_flood: 1}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}}}}
`, want: []string{"vlans.office.unicast_flood: must be bool, not int 1"}},
		{name: "int is not a float", yaml: `
vlans: {office: {vid: 100}}
dps: {sw1: {dp_id: 1, port_table_scale_factor: 2, interfaces: {1: {native_vlan: office}}}}
`, want: []string{"port_table_scale_factor: must be float, not int 2"}},
		{name: "duplicate key", yaml: `
vlans:
  office: {vid: 100}
  office: {vid: 200}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}}}}
`, want: []string{`test.yaml:4:3: duplicate key "office"`}},
		{name: "syntax error", yaml: "dps: [\n", want: []string{"YAML syntax error"}},
		{name: "empty file", yaml: "", want: []string{"config file is empty"}},
		{name: "version 3", yaml: minimal + "version: 3\n", want: []string{"only config version 2 is supported"}},
		{name: "bad match value only reported for used ACL", yaml: `
acls:
  unused: [{rule: {ipv4_src: notanip, actions: {allow: 1}}}]
` + minimal},
		{name: "bad match value in used ACL", yaml: `
acls:
  used: [{rule: {ipv4_src: notanip, actions: {allow: 1}}}]
vlans: {office: {vid: 100}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office, acls_in: [used]}}}}
`, want: []string{`acls.used[0].rule.ipv4_src: invalid IP address "notanip"`}},
		{name: "output port by name resolved per DP", yaml: `
acls:
  to-target: [{rule: {actions: {output: {port: target}}}}]
vlans: {v: {vid: 100, acls_in: [to-target]}}
dps:
  a: {dp_id: 1, interfaces: {1: {native_vlan: v}, 2: {name: target, native_vlan: v}}}
  b: {dp_id: 2, interfaces: {1: {native_vlan: v}}}
`, want: []string{`output port "target" undefined in DP b`}},
		{name: "meter must exist", yaml: `
acls:
  m: [{rule: {actions: {allow: 1, meter: nosuch}}}]
vlans: {office: {vid: 100}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office, acls_in: [m]}}}}
`, want: []string{`meter "nosuch" is not configured`}},
		{name: "meter band type", yaml: `
meters:
  m: {meter_id: 1, entry: {flags: KBPS, bands: [{type: SLOW, rate: 1}]}}
` + minimal, want: []string{"meter band type must be DROP or DSCP_REMARK"}},
		{name: "router bgp required keys", yaml: `
routers:
  r: {bgp: {as: 1, vlan: office}}
vlans: {office: {vid: 100, faucet_vips: [10.0.0.1/24]}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}}}}
`, want: []string{"BGP server_addresses, port, routerid, neighbor_addresses, neighbor_as must be specified"}},
		{name: "router unknown vlan", yaml: `
routers:
  r: {vlans: [office, typo]}
` + minimal, want: []string{`routers.r.vlans[1]: unknown VLAN "typo" in router`}},
		{name: "vip host address", yaml: `
vlans: {office: {vid: 100, faucet_vips: [10.0.0.1/32]}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}}}}
`, want: []string{"cannot be a host address"}},
		{name: "route network host bits", yaml: `
vlans: {office: {vid: 100, routes: [{route: {ip_dst: 10.0.0.1/24, ip_gw: 10.0.0.2}}]}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}}}}
`, want: []string{"host bits must be zero"}},
		{name: "interface range overlap", yaml: `
vlans: {office: {vid: 100}}
dps: {sw1: {dp_id: 1, interface_ranges: {1-4: {native_vlan: office}, 3-5: {native_vlan: office}}}}
`, want: []string{"interface_ranges cannot overlap"}},
		{name: "voip secret", yaml: minimal + `
voip:
  asterisk:
    pbx1: {host: 10.254.0.1, username: voipsdn}
`, want: []string{"test.yaml:12:5: voip.asterisk.pbx1: exactly one of secret_file or secret_env is required"}},
		{name: "voip direct_media not a bool", yaml: minimal + `
voip:
  asterisk:
    pbx1: {host: 10.254.0.1, username: u, secret_env: X, direct_media: maybe}
`, want: []string{"voip.asterisk.pbx1.direct_media"}},
		{name: "voip both secrets", yaml: minimal + `
voip:
  asterisk:
    pbx1: {host: pbx.example.com, username: u, secret_file: /x, secret_env: X}
`, want: []string{"exactly one of secret_file or secret_env is required"}},
		{name: "voip qos checks", yaml: minimal + `
voip:
  qos:
    voice_dscp: 64
    rtp_port_range: [10001, 20000]
    pinhole: sometimes
    colour: red
    apply_to: {vlans: [nosuch], ports: {sw1: [1, 99]}}
`, want: []string{
			"voip.qos.voice_dscp: voice_dscp must be 0-63",
			"must start on an even port",
			"pinhole must be off, mark or strict",
			`voip.qos.colour: unknown key "colour" in qos`,
			`voip.qos.apply_to.vlans[0]: unknown VLAN "nosuch"`,
			`voip.qos.apply_to.ports.sw1[1]: unknown port "99" on DP sw1`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("want valid, got:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want errors %q, config was accepted", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing error %q in:\n%v", w, err)
				}
			}
		})
	}
}

// TestEveryErrorReported checks that independent errors in different
// places are all reported in one run, in file order.
func TestEveryErrorReported(t *testing.T) {
	_, err := load(t, `
vlans:
  office: {vid: 5000}
  voice: {vid: 200, faucet_mac: nonsense}
acls:
  a: []
dps:
  sw1:
    dp_id: 1
    timeout: 5
    interfaces:
      1: {native_vlan: voice, acls_in: [missing]}
      2: {native_vlan: nosuch}
  sw2:
    dp_id: 1
    interfaces:
      1: {native_vlan: voice}
`)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want Errors, got %v", err)
	}
	want := []string{
		"test.yaml:3:17: vlans.office.vid: invalid VID 5000",
		"test.yaml:4:33: vlans.voice.faucet_mac: invalid MAC address",
		"test.yaml:6:3: acls.a: no rules found for ACL a",
		"test.yaml:10:14: dps.sw1.timeout: timeout must be between 15 and 65535",
		`test.yaml:12:41: dps.sw1.interfaces.1.acls_in[0]: unknown ACL "missing"`,
		`test.yaml:13:24: dps.sw1.interfaces.2.native_vlan: unknown VLAN "nosuch"`,
		"test.yaml:14:3: dps.sw2: DPID 1 is duplicated",
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if i >= len(errs) || !strings.HasPrefix(errs[i].Error(), w) {
			got := "<none>"
			if i < len(errs) {
				got = errs[i].Error()
			}
			t.Errorf("error %d = %q, want prefix %q", i, got, w)
		}
	}
}

func TestResolvedModel(t *testing.T) {
	cfg := mustLoad(t, `
acls:
  a1:
    - rule:
        dl_type: 0x800
        nw_src: 10.0.0.0/255.0.0.0
        udp_dst: "5060"
        dl_dst: "01:00:5e:00:00:00/ff:ff:ff:80:00:00"
        actions:
          output:
            port: uplink
            set_fields: [{eth_dst: "0e:00:00:00:00:02"}]
            pop_vlans: 1
  a2:
    - rule:
        actions:
          output:
            - vlan_vids: [{vid: 300, eth_type: 0x88a8}, 400]
            - ports: [1, uplink]
            - failover: {group_id: 7, ports: [2, 1]}
vlans:
  office: {vid: 100}
  voice: {vid: 200, faucet_vips: ["10.0.200.254/24"], routes: [{ip_dst: 0.0.0.0/0, ip_gw: 10.0.200.1}]}
dps:
  sw1:
    dp_id: 0x10
    interface_ranges:
      1-3,5: {native_vlan: office, tagged_vlans: [voice], max_hosts: 9}
    interfaces:
      2: {max_hosts: 3, acls_in: [a1, a2]}
      uplink: {number: 24, tagged_vlans: [office, voice]}
`)
	dp := cfg.DP("sw1")
	if dp == nil || dp.ID != 16 {
		t.Fatalf("sw1 missing or wrong dp_id: %+v", dp)
	}
	var nums []uint32
	for _, p := range dp.Ports {
		nums = append(nums, p.Number)
	}
	if got := nums; len(got) != 5 || got[0] != 1 || got[1] != 2 || got[2] != 3 || got[3] != 5 || got[4] != 24 {
		t.Fatalf("ports = %v, want [1 2 3 5 24]", got)
	}
	if p := dp.Port(2); p.MaxHosts != 3 || p.NativeVLAN.Name != "office" || len(p.TaggedVLANs) != 1 {
		t.Errorf("port 2 should keep its own max_hosts and take the range's VLANs: %+v", p)
	}
	if p := dp.Port(5); p.MaxHosts != 9 {
		t.Errorf("port 5 max_hosts = %d, want 9 from the range", p.MaxHosts)
	}
	voice := dp.VLAN(200)
	if got := voice.Ports(); len(got) != 5 {
		t.Errorf("voice ports = %v, want 1,2,3,5,24", got)
	}
	if len(voice.Routes) != 1 || voice.Routes[0].Gateway != netip.MustParseAddr("10.0.200.1") {
		t.Errorf("voice routes = %v", voice.Routes)
	}
	a1 := dp.ACL("a1")
	r := a1.Rules[0]
	if f := r.Field("eth_type"); f == nil || f.Int != 0x800 || f.As != "dl_type" {
		t.Errorf("dl_type not translated: %+v", r.Match)
	}
	if f := r.Field("ipv4_src"); f == nil || !f.HasMask || f.AddrMask != netip.MustParseAddr("255.0.0.0") {
		t.Errorf("nw_src mask: %+v", f)
	}
	if f := r.Field("udp_dst"); f == nil || f.Int != 5060 {
		t.Errorf("udp_dst from string: %+v", f)
	}
	if f := r.Field("eth_dst"); f == nil || !f.HasMask || f.MACMask.String() != "ff:ff:ff:80:00:00" {
		t.Errorf("dl_dst mask: %+v", f)
	}
	steps := r.Actions.Output.Steps
	kinds := []OutputKind{}
	for _, s := range steps {
		kinds = append(kinds, s.Kind)
	}
	if len(kinds) != 3 || kinds[0] != OutPopVLANs || kinds[1] != OutSetFields || kinds[2] != OutPort {
		t.Errorf("legacy output order = %v, want pop_vlans, set_fields, port", kinds)
	}
	if steps[2].Port.Number != 24 {
		t.Errorf("output port uplink resolved to %d, want 24", steps[2].Port.Number)
	}
	a2 := dp.ACL("a2").Rules[0].Actions.Output
	if !a2.Ordered || a2.Steps[0].PushVLANs[0].EthType != 0x88a8 || a2.Steps[0].PushVLANs[1].VID != 400 {
		t.Errorf("vlan_vids: %+v", a2.Steps[0])
	}
	if a2.Steps[1].Ports[1].Number != 24 || a2.Steps[2].Failover.GroupID != 7 || a2.Steps[2].Failover.Ports[0].Number != 2 {
		t.Errorf("ports/failover: %+v %+v", a2.Steps[1], a2.Steps[2])
	}
	if got := dp.Port(2).ACLsIn; len(got) != 2 || got[0] != a1 {
		t.Errorf("port 2 ACLs = %v", got)
	}
	if dp.LearnJitter != 51 || dp.CacheUpdateGuardTime != 150 || dp.HighestPriority != 9099 {
		t.Errorf("derived defaults: jitter %d guard %d highest %d", dp.LearnJitter, dp.CacheUpdateGuardTime, dp.HighestPriority)
	}
}

func TestMirrorResolution(t *testing.T) {
	cfg := mustLoad(t, `
vlans: {office: {vid: 100}}
dps:
  sw1:
    dp_id: 1
    interfaces:
      host: {number: 1, native_vlan: office}
      2: {native_vlan: office}
      3: {mirror: [host, 2]}
`)
	dp := cfg.DP("sw1")
	if got := dp.Port(3).Mirror; len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("mirror = %v", got)
	}
	if !dp.Port(3).OutputOnly {
		t.Error("mirror port should become output_only")
	}
	if got := dp.Port(1).MirroredTo; len(got) != 1 || got[0] != 3 {
		t.Errorf("port 1 mirrored to %v, want [3]", got)
	}
}

func TestUnsupported(t *testing.T) {
	cfg := mustLoad(t, `
vlans: {office: {vid: 100}}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office, lacp: 1}
      2: {stack: {dp: sw2, port: 2}}
      3: {coprocessor: {strategy: vlan_vid}}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office}
      2: {stack: {dp: sw1, port: 2}}
`)
	var got []string
	for _, u := range cfg.Unsupported() {
		got = append(got, u.Error())
	}
	all := strings.Join(got, "\n")
	if !strings.Contains(all, "dps.sw1.interfaces.3.coprocessor: not supported yet: coprocessor ports") {
		t.Errorf("coprocessor port not reported in:\n%s", all)
	}
	// Stacking and LACP are programmed.
	if strings.Contains(all, "lacp") || strings.Contains(all, "stack") {
		t.Errorf("stacking or LACP reported unsupported:\n%s", all)
	}
	if u := mustLoad(t, minimal).Unsupported(); len(u) != 0 {
		t.Errorf("minimal config reported unsupported features: %v", u)
	}
}

func TestSecretsNotEchoed(t *testing.T) {
	_, err := load(t, `
vlans: {office: {vid: 100}}
dps:
  sw1:
    dp_id: 1
    dot1x: {nfv_intf: lo, nfv_sw_port: 2, radius_ip: 127.0.0.1, radius_port: 1812, radius_secret: 987654321}
    interfaces: {1: {native_vlan: office, dot1x: true}, 2: {output_only: true}}
`)
	if err == nil || !strings.Contains(err.Error(), "radius_secret: must be str") {
		t.Fatalf("want a type error for radius_secret, got %v", err)
	}
	if strings.Contains(err.Error(), "987654321") {
		t.Errorf("secret echoed in error: %v", err)
	}
}

func TestUnknownKeySuggestion(t *testing.T) {
	_, err := load(t, `
vlans: {office: {vid: 100}}
dps: {sw1: {dp_id: 1, interfaces: {1: {natve_vlan: office}}}}
`)
	if err == nil || !strings.Contains(err.Error(), `unknown key "natve_vlan" in interface (did you mean "native_vlan"?)`) {
		t.Errorf("want a suggestion, got %v", err)
	}
}

func TestUnquotedMACHint(t *testing.T) {
	_, err := load(t, `
vlans: {office: {vid: 100, faucet_mac: 11:22:33:44:55:06}}
dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}}}}
`)
	if err == nil || !strings.Contains(err.Error(), "faucet_mac: must be str, not int") || !strings.Contains(err.Error(), "quote it") {
		t.Errorf("want a type error with a quoting hint, got %v", err)
	}
}

func TestDirectMediaChecksCanBeTurnedOff(t *testing.T) {
	cfg, err := load(t, minimal+`
voip:
  asterisk:
    pbx1: {host: 10.254.0.1, username: u, secret_env: X, direct_media: false}
    pbx2: {host: 10.254.0.2, username: u, secret_env: X}
`)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.VoIP.Asterisk; a[0].DirectMedia || !a[1].DirectMedia {
		t.Fatalf("direct_media: pbx1 %t (set false), pbx2 %t (default true)", a[0].DirectMedia, a[1].DirectMedia)
	}
}
