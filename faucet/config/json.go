package config

import (
	"encoding/json"
	"net"
)

// JSON encoding of the resolved model: object references are written as
// names, MAC addresses as text. The result is the normalised config that
// `voipsdn check-config` prints.

func macText(m net.HardwareAddr) string {
	if m == nil {
		return ""
	}
	return m.String()
}

func vlanNames(vs []*VLAN) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

func aclNames(as []*ACL) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

// MarshalJSON writes the DP with its MAC as text and dp_acls by name.
func (dp *DP) MarshalJSON() ([]byte, error) {
	type alias DP
	return json.Marshal(struct {
		*alias
		FaucetDPMAC string   `json:"faucet_dp_mac"`
		DPACLs      []string `json:"dp_acls,omitempty"`
	}{(*alias)(dp), macText(dp.FaucetDPMAC), aclNames(dp.DPACLs)})
}

// MarshalJSON writes the port's VLANs and ACLs by name.
func (p *Port) MarshalJSON() ([]byte, error) {
	type alias Port
	native := ""
	if p.NativeVLAN != nil {
		native = p.NativeVLAN.Name
	}
	return json.Marshal(struct {
		*alias
		NativeVLAN  string   `json:"native_vlan,omitempty"`
		TaggedVLANs []string `json:"tagged_vlans"`
		ACLsIn      []string `json:"acls_in,omitempty"`
		LLDPPeerMAC string   `json:"lldp_peer_mac,omitempty"`
	}{(*alias)(p), native, vlanNames(p.TaggedVLANs), aclNames(p.ACLsIn), macText(p.LLDPPeerMAC)})
}

// MarshalJSON writes the VLAN's MAC as text.
func (v *VLAN) MarshalJSON() ([]byte, error) {
	type alias VLAN
	return json.Marshal(struct {
		*alias
		FaucetMAC string `json:"faucet_mac"`
	}{(*alias)(v), macText(v.FaucetMAC)})
}

// MarshalJSON writes a match as field, value text and kind-specific
// value.
func (m MatchField) MarshalJSON() ([]byte, error) {
	type alias MatchField
	return json.Marshal(struct {
		alias
		MAC     string `json:"mac,omitempty"`
		MACMask string `json:"mac_mask,omitempty"`
	}{alias(m), macText(m.MAC), macText(m.MACMask)})
}

// MarshalJSON writes a set-field with its MAC as text.
func (s SetField) MarshalJSON() ([]byte, error) {
	type alias SetField
	return json.Marshal(struct {
		alias
		MAC string `json:"mac,omitempty"`
	}{alias(s), macText(s.MAC)})
}
