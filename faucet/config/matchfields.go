package config

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// How a match field's value is written.
type fieldEnc int

const (
	encInt       fieldEnc = iota // int or int string (base auto)
	encMaskedInt                 // int, or "value/mask"
	encEth                       // MAC, or "mac/mask"
	encIPv4                      // IPv4 address, or network / address with mask
	encIPv6
	encVID    // VLAN VID: decimal gets OFPVID_PRESENT, hex is raw
	encInPort // port number or reserved port name
)

type fieldSpec struct {
	enc  fieldEnc
	bits uint
}

// matchFields are the OpenFlow 1.3 (and Nicira) match fields Faucet
// accepts in ACL rules, with their encoding and width.
var matchFields = map[string]fieldSpec{
	"in_port": {encInPort, 32}, "in_phy_port": {encInt, 32}, "metadata": {encMaskedInt, 64},
	"eth_dst": {encEth, 48}, "eth_src": {encEth, 48}, "eth_type": {encInt, 16},
	"vlan_vid": {encVID, 13}, "vlan_pcp": {encInt, 3}, "ip_dscp": {encInt, 6}, "ip_ecn": {encInt, 2},
	"ip_proto": {encInt, 8}, "ipv4_src": {encIPv4, 32}, "ipv4_dst": {encIPv4, 32},
	"tcp_src": {encMaskedInt, 16}, "tcp_dst": {encMaskedInt, 16},
	"udp_src": {encMaskedInt, 16}, "udp_dst": {encMaskedInt, 16},
	"sctp_src": {encMaskedInt, 16}, "sctp_dst": {encMaskedInt, 16},
	"icmpv4_type": {encInt, 8}, "icmpv4_code": {encInt, 8}, "arp_op": {encInt, 16},
	"arp_spa": {encIPv4, 32}, "arp_tpa": {encIPv4, 32}, "arp_sha": {encEth, 48}, "arp_tha": {encEth, 48},
	"ipv6_src": {encIPv6, 128}, "ipv6_dst": {encIPv6, 128}, "ipv6_flabel": {encInt, 20},
	"icmpv6_type": {encInt, 8}, "icmpv6_code": {encInt, 8}, "ipv6_nd_target": {encIPv6, 128},
	"ipv6_nd_sll": {encEth, 48}, "ipv6_nd_tll": {encEth, 48},
	"mpls_label": {encInt, 20}, "mpls_tc": {encInt, 3}, "mpls_bos": {encInt, 1},
	"pbb_isid": {encMaskedInt, 24}, "tunnel_id": {encMaskedInt, 64}, "ipv6_exthdr": {encMaskedInt, 9},
	"eth_type_nxm": {encInt, 16}, "ip_proto_nxm": {encInt, 8}, "nw_ttl": {encInt, 8},
	"ct_state": {encMaskedInt, 32}, "ct_zone": {encInt, 16}, "ct_mark": {encMaskedInt, 32},
	"ct_label": {encMaskedInt, 64},
}

// legacyMatchFields maps Faucet's deprecated names to OpenFlow names.
var legacyMatchFields = map[string]string{
	"dl_dst": "eth_dst", "dl_src": "eth_src", "dl_type": "eth_type", "dl_vlan": "vlan_vid",
	"nw_proto": "ip_proto", "nw_src": "ipv4_src", "nw_dst": "ipv4_dst",
}

// matchFieldName returns the canonical name for a rule key.
func matchFieldName(name string) (string, bool) {
	if c, ok := legacyMatchFields[name]; ok {
		return c, true
	}
	_, ok := matchFields[name]
	return name, ok
}

// parseMatchValue checks and encodes one match. A non-empty message
// means the value is invalid.
func parseMatchValue(field string, v *node) (MatchField, string) {
	mf := MatchField{Field: field, Text: v.raw()}
	spec := matchFields[field]
	if v.isNull() {
		return mf, field + " cannot be type NoneType (a match needs a value)"
	}
	switch spec.enc {
	case encInPort:
		if v.isInt() {
			i, _ := v.intVal()
			if i < 0 || i > 0xffffffff {
				return mf, "in_port out of range"
			}
			mf.Int = uint64(i)
			return mf, ""
		}
		if _, ok := reservedPorts[strings.ToUpper(v.s)]; ok {
			mf.Int = uint64(reservedPorts[strings.ToUpper(v.s)])
			return mf, ""
		}
		if n, ok := pyInt(v.s); ok && n <= 0xffffffff {
			mf.Int = uint64(n)
			return mf, ""
		}
		return mf, "invalid in_port " + quote(v.s)
	case encInt, encMaskedInt:
		val, mask, has, ok := intWithMask(v, spec.enc == encMaskedInt)
		if !ok {
			return mf, "invalid value " + quote(v.text()) + " for " + field
		}
		if !fits(val, spec.bits) || has && !fits(mask, spec.bits) {
			return mf, field + " value " + v.text() + " does not fit in " + strconv.Itoa(int(spec.bits)) + " bits"
		}
		mf.Int, mf.IntMask, mf.HasMask = val, mask, has
	case encVID:
		if v.isInt() {
			i, _ := v.intVal()
			if i < 0 || i > 4095 {
				return mf, "invalid VID " + v.text() + " for vlan_vid (must be 0-4095)"
			}
			mf.Int = uint64(i) | 0x1000
			return mf, ""
		}
		s := v.s
		if !strings.Contains(s, "/") && isDigits(s) {
			i, err := strconv.ParseUint(s, 10, 16)
			if err != nil || i > 4095 {
				return mf, "invalid VID " + quote(s) + " for vlan_vid"
			}
			mf.Int = i | 0x1000
			return mf, ""
		}
		val, mask, has, ok := intWithMask(v, true)
		if !ok || val > 0x1fff || has && mask > 0x1fff {
			return mf, "invalid vlan_vid " + quote(s)
		}
		mf.Int, mf.IntMask, mf.HasMask = val, mask, has
	case encEth:
		if v.kind != kStr {
			return mf, field + " cannot be type " + pyType(v) + " (a MAC address string is needed)"
		}
		addr, mask, has := strings.Cut(v.s, "/")
		mac, ok := parseMAC(addr)
		if !ok {
			return mf, "invalid MAC address " + quote(v.s) + " for " + field
		}
		mf.Kind, mf.MAC = KindMAC, mac
		if has {
			m, ok := parseMAC(mask)
			if !ok {
				return mf, "invalid MAC mask " + quote(v.s) + " for " + field
			}
			mf.MACMask, mf.HasMask = m, true
		}
	case encIPv4, encIPv6:
		if v.kind != kStr {
			return mf, field + " cannot be type " + pyType(v) + " (an IP address string is needed)"
		}
		addr, mask, ok := parseIPMatch(v.s, spec.enc == encIPv6)
		if !ok {
			return mf, "invalid IP address " + quote(v.s) + " for " + field
		}
		mf.Kind = KindIPv4
		if spec.enc == encIPv6 {
			mf.Kind = KindIPv6
		}
		mf.Addr = addr
		if mask.IsValid() {
			mf.AddrMask, mf.HasMask = mask, true
		}
	}
	return mf, ""
}

// parseSetField checks one set_fields entry.
func parseSetField(field string, v *node) (SetField, string) {
	sf := SetField{Field: field, Text: v.raw()}
	if _, ok := matchFields[field]; !ok || field == "in_port" || field == "in_phy_port" || field == "metadata" {
		return sf, "unknown match field " + quote(field) + " in set_fields"
	}
	mf, msg := parseMatchValue(field, v)
	if msg != "" {
		return sf, msg
	}
	if mf.HasMask {
		return sf, "set_fields " + field + " cannot have a mask"
	}
	sf.Kind, sf.Int, sf.MAC, sf.Addr = mf.Kind, mf.Int, mf.MAC, mf.Addr
	return sf, ""
}

var reservedPorts = map[string]uint32{
	"IN_PORT": 0xfffffff8, "TABLE": 0xfffffff9, "NORMAL": 0xfffffffa, "FLOOD": 0xfffffffb,
	"ALL": 0xfffffffc, "CONTROLLER": 0xfffffffd, "LOCAL": 0xfffffffe, "ANY": 0xffffffff,
}

func pyType(v *node) string {
	switch v.kind {
	case kNull:
		return "NoneType"
	case kStr:
		return "str"
	case kSeq:
		return "list"
	case kMap:
		return "dict"
	}
	return v.kind.String()
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func fits(v uint64, bits uint) bool { return bits >= 64 || v < 1<<bits }

// pyInt parses an integer the way Python's int(s, 0) does.
func pyInt(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if s[0] == '+' {
		s = s[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, s = 16, s[2:]
	case strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0O"):
		base, s = 8, s[2:]
	case strings.HasPrefix(s, "0b") || strings.HasPrefix(s, "0B"):
		base, s = 2, s[2:]
	case len(s) > 1 && s[0] == '0' && strings.Trim(s, "0_") != "":
		return 0, false // int("010", 0) is an error in Python
	}
	s = strings.TrimPrefix(s, "_")
	if s == "" || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), base, 64)
	return v, err == nil
}

// intWithMask reads an int match, optionally "value/mask".
func intWithMask(v *node, maskOK bool) (val, mask uint64, has, ok bool) {
	if v.isInt() {
		i, isSmall := v.intVal()
		if !isSmall || i < 0 {
			return 0, 0, false, false
		}
		return uint64(i), 0, false, true
	}
	if v.kind != kStr {
		return 0, 0, false, false
	}
	a, b, slash := strings.Cut(v.s, "/")
	if slash && !maskOK {
		return 0, 0, false, false
	}
	val, ok = pyInt(a)
	if !ok {
		return 0, 0, false, false
	}
	if slash {
		mask, ok = pyInt(b)
		return val, mask, true, ok
	}
	return val, 0, false, true
}

// parseIPMatch reads "addr", "addr/len" or "addr/netmask".
func parseIPMatch(s string, v6 bool) (netip.Addr, netip.Addr, bool) {
	addrS, maskS, has := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addrS)
	if err != nil || a.Zone() != "" || a.Is4() == v6 || a.Is4In6() {
		return netip.Addr{}, netip.Addr{}, false
	}
	if !has {
		return a, netip.Addr{}, true
	}
	if n, err := strconv.Atoi(maskS); err == nil && isDigits(maskS) {
		if n > a.BitLen() {
			return netip.Addr{}, netip.Addr{}, false
		}
		m := net.CIDRMask(n, a.BitLen())
		mask, _ := netip.AddrFromSlice(m)
		return a, mask, true
	}
	m, err := netip.ParseAddr(maskS)
	if err != nil || m.Is4() != a.Is4() {
		return netip.Addr{}, netip.Addr{}, false
	}
	return a, m, true
}
