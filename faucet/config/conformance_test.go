//go:build conformance

// The conformance suite: Faucet's own config test cases, read from the
// corpus directory that `make conformance CORPUS=dir` names (see
// internal/faucetcorpus). Not part of `make test`.

package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/internal/faucetcorpus"
)

type expectedCase struct {
	File        string  `json:"file"`
	Expect      string  `json:"expect"`
	FaucetError *string `json:"faucet_error"`
}

// faucetProblem maps each invalid case to a substring our error text must
// contain, naming the same problem as Faucet's message.
var faucetProblem = map[string]string{
	"007_config_stack_class_route_learning_invalid.yaml":          "route_learning: must be bool",
	"008_config_stack_class_invalid_parameter.yaml":               `unknown key "sadfsafds" in stack`,
	"082_ordered_acl_multiple_port_output.yaml":                   "both port and ports",
	"083_ordered_acl_multiple_output.yaml":                        "only one action per element",
	"085_dupe_vid.yaml":                                           "VLAN VID 100 multiply configured",
	"086_unhashable_key.yaml":                                     "YAML syntax error",
	"088_config_contains_only_float.yaml":                         "must be a mapping of top-level sections",
	"089_config_contains_only_str.yaml":                           "must be a mapping of top-level sections",
	"091_config_only_datetime.yaml":                               "must be a mapping of top-level sections",
	"092_config_contains_only_dash.yaml":                          "must be a mapping of top-level sections",
	"094_config_only_empty_array.yaml":                            "must be a mapping of top-level sections",
	"095_unconfigured_acl.yaml":                                   `unknown ACL "access-port-protect"`,
	"097_config_routes_are_empty.yaml":                            "invalid IP address None",
	"098_config_routes_not_strings.yaml":                          "invalid IP address",
	"100_config_vips_not_strings.yaml":                            "invalid IP address False",
	"101_config_faucet_invalid_vips.yaml":                         `invalid IP address "aaaaa"`,
	"103_config_dps_is_empty.yaml":                                "dps: section must be a mapping",
	"104_including_invalid_files.yaml":                            "include entry must be a file name",
	"106_config_vlans_on_stack.yaml":                              "cannot have VLANs configured on non-VLAN ports",
	"107_config_stack_islands.yaml":                               "sw3 not connected to stack",
	"109_dp_id_too_big.yaml":                                      "not in valid range",
	"110_lacp_resp_interval_too_big.yaml":                         "at least 0.3 and less than 65536",
	"112_invalid_lacp_port_priority.yaml":                         "lacp port priority must be at least 0 and less than 256",
	"113_invalid_vid.yaml":                                        "invalid VID 10000",
	"115_invalid_mac.yaml":                                        `invalid MAC address "11:22:33:44:55:66:77:88"`,
	"116_empty_mac.yaml":                                          `invalid MAC address ""`,
	"118_empty_interfaces.yaml":                                   "must have at least one interface",
	"119_invalid_interfaces.yaml":                                 "invalid syntax in port config",
	"121_vlans_on_mirror_ports.yaml":                              "cannot have VLANs configured on non-VLAN ports: port 2",
	"122_unresolved_output_ports.yaml":                            `output port "UNRESOLVED" undefined`,
	"124_unresolved_actions_output_ports_ordered.yaml":            `output port "UNRESOLVED" undefined`,
	"125_unknown_output_ports.yaml":                               `output port "2" undefined`,
	"127_port_range_invalid_config.yaml":                          "interface-ranges contain invalid config",
	"128_acl_no_actions.yaml":                                     "missing rule actions",
	"130_acl_invalid_ipv6.yaml":                                   `invalid IP address "zyx" for ipv6_src`,
	"131_acl_invalid_mask.yaml":                                   `invalid IP address "10/0.200.0/24"`,
	"133_acl_invalid_rule_name.yaml":                              `unknown field "xrule" in ACL rule`,
	"134_acl_and_acls_vlan_invalid.yaml":                          "found both acl_in and acls_in",
	"136_acl_and_acls_port_invalid.yaml":                          "found both acl_in and acls_in",
	"137_invalid_char.yaml":                                       "not valid UTF-8",
	"139_missing_route_config.yaml":                               "missing ip_gw in VLAN route",
	"140_invalid_dp_conf.yaml":                                    "DP config must be a mapping",
	"142_dp_id_not_a_string.yaml":                                 "dp_id must be an int",
	"143_invalid_key.yaml":                                        "mapping key must be a scalar",
	"145_invalid_route_value.yaml":                                "is not a valid routes value",
	"146_invalid_mirror_port.yaml":                                "cannot have VLANs configured on non-VLAN ports: port 1",
	"148_ipv4_src_is_empty.yaml":                                  "ipv4_src cannot be type NoneType",
	"149_empty_eth_dst.yaml":                                      "eth_dst cannot be type NoneType",
	"151_router_vlan_invalid_type.yaml":                           "mirror: must be int or str, not map",
	"152_mirror_port_invalid_type.yaml":                           "mirror: must be int or str, not map",
	"154_referencing_unconfigured_port_in_stack.yaml":             "stack port 1 not defined in DP sw1",
	"155_not_referencing_a_port_in_the_stack.yaml":                `unknown key "0ort" in stack`,
	"157_no_rules_in_acl.yaml":                                    "no rules found for ACL mirror_destination",
	"158_empty_ipv6_src.yaml":                                     "ipv6_src cannot be type NoneType",
	"160_invalid_date_time_object.yaml":                           "must be a mapping of top-level sections",
	"161_config_is_only_bad_float.yaml":                           "cannot read number",
	"163_bad_vlan_reference.yaml":                                 "VLAN reference must be a name or VID, not a map",
	"164_bad_set_fields.yaml":                                     `unknown match field "nosuchfield"`,
	"166_bad_match_fields_ordered.yaml":                           `unknown field "notsuch" in ACL rule`,
	"167_bad_cookie.yaml":                                         "rule cookie value must be 0-2**16",
	"169_routers_overlapping_vips.yaml":                           "VIPs 10.0.0.1/24 and 10.0.0.2/24 overlap in router router-1",
	"170_same_vlan_tagged_untagged.yaml":                          "cannot have same native and tagged VLAN",
	"172_bgp_server_invalid.yaml":                                 `unknown key "as" in router`,
	"173_bgp_neighbor_invalid.yaml":                               `unknown key "neighbor_addresses" in router`,
	"176_dupe_dpid.yaml":                                          "DPID 1 is duplicated",
	"178_unknown_port_key.yaml":                                   `port key "unknown_key" must match the port name or port number`,
	"179_lldp_peer_mac_invalid.yaml":                              `invalid MAC address "11:22:33:44:55:66:77:88"`,
	"181_vlan_route_values_invalid.yaml":                          `duplicate key "ip_gw"`,
	"182_dot1x_mab_config_invalid.yaml":                           "802.1x_MAB cannot be used with 802.1x_DYN_ACL",
	"188_stack_priority_value_invalid.yaml":                       "priority: must be int, not str",
	"190_tunnel_bad_dst_dp.yaml":                                  "could not find referenced destination DP (sw3) for tunnel ACL tunnel-acl",
	"191_tunnel_bad_dst_dp_ordered.yaml":                          "could not find referenced destination DP (sw3) for tunnel ACL tunnel-acl",
	"193_tunnel_bad_dst_port_ordered.yaml":                        "could not find referenced destination port (3) for tunnel ACL tunnel-acl",
	"194_different_tunnels_same_id.yaml":                          "could not find referenced destination port (3) for tunnel ACL tunnel-acl",
	"196_tunnel_id_same_vlan.yaml":                                "VLAN vlan100 is required for use by tunnel 100 but is not reserved",
	"197_tunnel_id_same_vlan_ordered.yaml":                        "VLAN vlan100 is required for use by tunnel 100 but is not reserved",
	"199_tunnel_id_by_nonexistant_vlan_name_failure_ordered.yaml": "tunnel VLAN (tunnelvlan) does not exist",
	"202_timeout_too_big.yaml":                                    "timeout must be between 15 and 65535",
	"203_arp_timeout_too_big.yaml":                                "L2 timeout must be > ARP timeout * 2",
}

func TestConformanceFaucetCases(t *testing.T) {
	dir := faucetcorpus.Dir(t)
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Cases []expectedCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp.Cases) < 100 {
		t.Fatalf("only %d cases in expected.json", len(exp.Cases))
	}
	for _, c := range exp.Cases {
		t.Run(c.File, func(t *testing.T) {
			_, err := LoadFile(filepath.Join(dir, c.File))
			switch c.Expect {
			case "valid":
				if err != nil {
					t.Fatalf("Faucet accepts this config; we reject it:\n%v", err)
				}
			case "invalid":
				if err == nil {
					t.Fatalf("Faucet rejects this config (%v); we accept it", deref(c.FaucetError))
				}
				want, ok := faucetProblem[filepath.Base(c.File)]
				if !ok {
					t.Fatalf("no expected problem listed for %s; got:\n%v", c.File, err)
				}
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error does not name Faucet's problem %q (Faucet: %q); got:\n%v", want, deref(c.FaucetError), err)
				}
				var errs Errors
				if !asErrors(err, &errs) {
					t.Fatalf("error is %T, want Errors", err)
				}
				for _, e := range errs {
					if e.Pos.File == "" {
						t.Errorf("error without a file: %v", e)
					}
				}
			default:
				t.Fatalf("unknown verdict %q", c.Expect)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Faucet's shipped example (faucet.yaml including acls.yaml) loads and
// resolves as Faucet resolves it.
func TestConformanceFaucetExample(t *testing.T) {
	dir := faucetcorpus.Dir(t)
	cfg, err := LoadFile(filepath.Join(dir, "examples", "faucet.yaml"))
	if err != nil {
		t.Fatalf("Faucet's own example must be valid:\n%v", err)
	}
	if len(cfg.Files) != 2 {
		t.Errorf("files = %v, want faucet.yaml and acls.yaml", cfg.Files)
	}
	sw1 := cfg.DP("sw1")
	// "s1" is port 4 on sw1: the DNS redirect ACL must resolve to it.
	for _, r := range sw1.ACL("access-port-protect").Rules {
		if r.Actions.Output != nil {
			for _, st := range r.Actions.Output.Steps {
				if st.Kind == OutPort && st.Port.Number != 4 {
					t.Errorf("port s1 resolved to %d on sw1, want 4", st.Port.Number)
				}
			}
		}
	}
	if len(sw1.Routers) != 1 || len(sw1.Routers[0].VLANs) != 2 {
		t.Errorf("router-office-guest not resolved: %+v", sw1.Routers)
	}
}
