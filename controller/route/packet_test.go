package route

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
)

var (
	vipMAC  = net.HardwareAddr{0x0e, 0, 0, 0, 0, 1}
	hostMAC = net.HardwareAddr{0x0e, 0, 0, 0, 0, 0x22}
)

func TestARPFrames(t *testing.T) {
	req := ARPRequest(vipMAC, ip("10.0.0.254"), ip("10.0.0.2"), 100)
	if len(req) != 18+28 || !bytes.Equal(req[:6], broadcastMAC) || binary.BigEndian.Uint16(req[12:]) != ethVLAN ||
		binary.BigEndian.Uint16(req[14:]) != 100 || binary.BigEndian.Uint16(req[16:]) != ethARP {
		t.Fatalf("bad ARP request header % x", req[:18])
	}
	a := req[18:]
	if binary.BigEndian.Uint16(a[6:]) != 1 || !bytes.Equal(a[8:14], vipMAC) || netip.AddrFrom4([4]byte(a[24:28])) != ip("10.0.0.2") {
		t.Fatalf("bad ARP request body % x", a)
	}
	rep := ARPReply(vipMAC, ip("10.0.0.254"), hostMAC, ip("10.0.0.2"), 0)
	if len(rep) != 14+28 || !bytes.Equal(rep[:6], hostMAC) || binary.BigEndian.Uint16(rep[14+6:]) != 2 ||
		netip.AddrFrom4([4]byte(rep[14+14:14+18])) != ip("10.0.0.254") {
		t.Fatalf("bad ARP reply % x", rep)
	}
}

// verifyICMPv6 recomputes the checksum of an untagged IPv6 ICMPv6 frame.
func verifyICMPv6(t *testing.T, f []byte) []byte {
	t.Helper()
	p := f[14:]
	src, dst := netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40]))
	msg := append([]byte(nil), p[40:]...)
	want := binary.BigEndian.Uint16(msg[2:])
	icmpv6(src, dst, msg)
	if got := binary.BigEndian.Uint16(msg[2:]); got != want {
		t.Fatalf("ICMPv6 checksum %#x, want %#x", want, got)
	}
	return p[40:]
}

func TestNDFrames(t *testing.T) {
	vip, host := ip("fc00::1:254"), ip("fc00::1:2")
	ns := NeighborSolicitation(vipMAC, vip, host, 0)
	if !bytes.Equal(ns[:6], net.HardwareAddr{0x33, 0x33, 0xff, 1, 0, 2}) {
		t.Fatalf("NS to the wrong multicast MAC % x", ns[:6])
	}
	if dst := netip.AddrFrom16([16]byte(ns[14+24 : 14+40])); dst != ip("ff02::1:ff01:2") {
		t.Fatalf("NS to %s", dst)
	}
	msg := verifyICMPv6(t, ns)
	if msg[0] != 135 || netip.AddrFrom16([16]byte(msg[8:24])) != host || ns[14+7] != 255 {
		t.Fatalf("bad NS % x", msg)
	}
	probe := NeighborProbe(vipMAC, host, 0)
	if !bytes.Equal(probe[:6], ns[:6]) || !bytes.Equal(probe[14+24:14+40], ns[14+24:14+40]) {
		t.Fatalf("probe not to the solicited-node group: % x", probe[:54])
	}
	if src := netip.AddrFrom16([16]byte(probe[14+8 : 14+24])); src != netip.IPv6Unspecified() {
		t.Fatalf("probe from %s, want ::", src)
	}
	if msg := verifyICMPv6(t, probe); len(msg) != 24 || msg[0] != 135 || netip.AddrFrom16([16]byte(msg[8:24])) != host {
		t.Fatalf("bad probe (no options allowed from ::) % x", msg)
	}
	na := NeighborAdvertisement(vipMAC, vip, hostMAC, host, 0)
	msg = verifyICMPv6(t, na)
	if msg[0] != 136 || msg[4]&0x40 == 0 || !bytes.Equal(msg[26:32], vipMAC) {
		t.Fatalf("bad NA % x", msg)
	}
}

func TestEchoReply(t *testing.T) {
	// An echo request from 10.0.0.2 to the VIP 10.0.0.254, tagged VLAN 100.
	icmp := []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1, 'h', 'i'}
	binary.BigEndian.PutUint16(icmp[2:], checksum(icmp))
	iph := []byte{0x45, 0, 0, byte(20 + len(icmp)), 0, 0, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 254}
	binary.BigEndian.PutUint16(iph[10:], checksum(iph))
	frame := ethernet(vipMAC, hostMAC, 100, ethIPv4, append(iph, icmp...))
	frame = append(frame, 0, 0, 0, 0) // Ethernet padding must not leak into the reply

	rep, err := EchoReply(frame, vipMAC)
	if err != nil {
		t.Fatal(err)
	}
	p := rep[18:]
	if !bytes.Equal(rep[:6], hostMAC) || !bytes.Equal(rep[6:12], vipMAC) || binary.BigEndian.Uint16(rep[14:]) != 100 {
		t.Fatalf("bad reply header % x", rep[:18])
	}
	if netip.AddrFrom4([4]byte(p[12:16])) != ip("10.0.0.254") || netip.AddrFrom4([4]byte(p[16:20])) != ip("10.0.0.2") {
		t.Fatalf("addresses not swapped: % x", p[:20])
	}
	if checksum(p[:20]) != 0 || checksum(p[20:]) != 0 || p[20] != 0 || len(p) != 20+len(icmp) {
		t.Fatalf("bad IPv4/ICMP reply % x", p)
	}
	if _, err := EchoReply(frame[:20], vipMAC); err == nil {
		t.Fatal("a truncated frame must be refused")
	}

	// IPv6.
	req6 := []byte{128, 0, 0, 0, 0, 7, 0, 1, 'x'}
	src, dst := ip("fc00::1:2"), ip("fc00::1:254")
	frame6 := ethernet(vipMAC, hostMAC, 0, ethIPv6, ipv6(src, dst, 58, 64, icmpv6(src, dst, req6)))
	rep6, err := EchoReply(frame6, vipMAC)
	if err != nil {
		t.Fatal(err)
	}
	if msg := verifyICMPv6(t, rep6); msg[0] != 129 || netip.AddrFrom16([16]byte(rep6[14+8:14+24])) != dst {
		t.Fatalf("bad echo reply v6 % x", rep6)
	}
}

func FuzzEchoReply(f *testing.F) {
	f.Add(ethernet(vipMAC, hostMAC, 0, ethIPv4, []byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 0, 0, 0, 0, 0, 0, 0}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		EchoReply(b, vipMAC) //nolint:errcheck // must not panic
	})
}
