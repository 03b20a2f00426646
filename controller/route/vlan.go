package route

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// What a router needs to know of a VLAN and its frames: its addresses, the
// VLANs routed with it, the tag a port needs, and prefix arithmetic.

func isVLANVIP(v *config.VLAN, ip netip.Addr) bool {
	return slices.ContainsFunc(v.FaucetVIPs, func(p netip.Prefix) bool { return p.Addr() == ip })
}

func inSubnets(v *config.VLAN, ip netip.Addr) bool {
	return ip.IsValid() && slices.ContainsFunc(v.FaucetVIPs, func(p netip.Prefix) bool { return p.Contains(ip) })
}

// routedWith is v and every VLAN a router joins it with.
func routedWith(dp *config.DP, v *config.VLAN) []*config.VLAN {
	out := []*config.VLAN{v}
	for _, rt := range dp.Routers {
		if !slices.ContainsFunc(rt.VLANs, func(x *config.VLAN) bool { return x.VID == v.VID }) {
			continue
		}
		for _, x := range rt.VLANs {
			if x.VID != v.VID && !slices.ContainsFunc(out, func(y *config.VLAN) bool { return y.VID == x.VID }) {
				if dv := dp.VLAN(x.VID); dv != nil {
					out = append(out, dv)
				}
			}
		}
	}
	return out
}

// portTag is the VID a frame to port must carry on v: v's for a tagged
// member, none for an untagged one.
func portTag(v *config.VLAN, port uint32) uint16 {
	if slices.Contains(v.Tagged, port) {
		return v.VID
	}
	return 0
}

// retag replaces a frame's VLAN tag (packet-ins arrive tagged by the vlan
// table, even from untagged ports) with vid, or removes it when vid is 0.
func retag(frame []byte, vid uint16) []byte {
	if len(frame) < 14 {
		return frame
	}
	body := frame[12:]
	if binary.BigEndian.Uint16(body) == ethVLAN && len(body) >= 4 {
		body = body[4:]
	}
	out := make([]byte, 0, len(frame)+4)
	out = append(out, frame[:12]...)
	if vid != 0 {
		out = binary.BigEndian.AppendUint16(out, ethVLAN)
		out = binary.BigEndian.AppendUint16(out, vid&0xfff)
	}
	return append(out, body...)
}

// lastAddr is the highest address of p (Python's broadcast_address).
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(a)*8; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	ip, _ := netip.AddrFromSlice(a)
	return ip
}
