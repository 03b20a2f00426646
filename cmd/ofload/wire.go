package main

import (
	"encoding/binary"
	"fmt"
	"io"
)

// OpenFlow 1.3 message types ofload speaks (§7.1).
const (
	ofVersion         = 4
	typeHello         = 0
	typeError         = 1
	typeEchoRequest   = 2
	typeEchoReply     = 3
	typeFeaturesReq   = 5
	typeFeaturesReply = 6
	typeGetConfigReq  = 7
	typeGetConfigRep  = 8
	typePacketIn      = 10
	typePacketOut     = 13
	typeFlowMod       = 14
	typeMultipartReq  = 18
	typeMultipartRep  = 19
	typeBarrierReq    = 20
	typeBarrierReply  = 21
	typeRoleRequest   = 24
	typeRoleReply     = 25
	typeGetAsyncReq   = 26
	typeGetAsyncReply = 27

	mpDesc          = 0
	mpMeterFeatures = 11
	mpPortDesc      = 13

	oxmClassBasic = 0x8000
	oxmInPort     = 0
	oxmEthDst     = 3
	oxmEthSrc     = 4
)

// msg is one OpenFlow message: its header fields and body.
type msg struct {
	typ  uint8
	xid  uint32
	body []byte
}

// readMsg reads one message; buf is reused when large enough.
func readMsg(r io.Reader, buf []byte) (msg, []byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return msg{}, buf, err
	}
	n := int(binary.BigEndian.Uint16(hdr[2:4]))
	if n < 8 {
		return msg{}, buf, fmt.Errorf("message length %d shorter than its header", n)
	}
	if cap(buf) < n-8 {
		buf = make([]byte, n-8)
	}
	body := buf[:n-8]
	if _, err := io.ReadFull(r, body); err != nil {
		return msg{}, buf, err
	}
	return msg{typ: hdr[1], xid: binary.BigEndian.Uint32(hdr[4:8]), body: body}, buf, nil
}

// appendMsg appends a message with body to b.
func appendMsg(b []byte, typ uint8, xid uint32, body ...[]byte) []byte {
	n := 8
	for _, p := range body {
		n += len(p)
	}
	b = append(b, ofVersion, typ, byte(n>>8), byte(n))
	b = binary.BigEndian.AppendUint32(b, xid)
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

// featuresReply is ofp_switch_features for dpid.
func featuresReply(dpid uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, dpid)
	b = binary.BigEndian.AppendUint32(b, 0) // n_buffers
	b = append(b, 254, 0, 0, 0)             // n_tables, auxiliary_id, pad
	b = binary.BigEndian.AppendUint32(b, 0x4f)
	return binary.BigEndian.AppendUint32(b, 0)
}

// multipartReply answers a multipart request of type mp with an empty body,
// or with the description or port list when those are asked for.
func multipartReply(mp uint16, ports int, dpid uint64) []byte {
	b := binary.BigEndian.AppendUint16(nil, mp)
	b = append(b, 0, 0, 0, 0, 0, 0) // flags, pad
	switch mp {
	case mpDesc:
		for _, f := range []struct {
			s string
			n int
		}{{"voipsdn", 256}, {"ofload", 256}, {"ofload", 256}, {"0", 32}, {fmt.Sprintf("dp %#x", dpid), 256}} {
			field := make([]byte, f.n)
			copy(field, f.s)
			b = append(b, field...)
		}
	case mpPortDesc:
		for p := 1; p <= ports; p++ {
			b = appendPort(b, uint32(p), dpid)
		}
	case mpMeterFeatures:
		b = binary.BigEndian.AppendUint32(b, 65536) // max_meter
		b = binary.BigEndian.AppendUint32(b, 1<<1)  // band types: drop
		b = binary.BigEndian.AppendUint32(b, 0xf)   // capabilities
		b = append(b, 1, 0, 0, 0)                   // max_bands, max_color, pad
	}
	return b
}

// appendPort appends an ofp_port that is up at 1 Gbit/s.
func appendPort(b []byte, no uint32, dpid uint64) []byte {
	b = binary.BigEndian.AppendUint32(b, no)
	b = append(b, 0, 0, 0, 0)
	b = append(b, 0x0e, byte(dpid), 0, 0, byte(no>>8), byte(no), 0, 0)
	name := make([]byte, 16)
	copy(name, fmt.Sprintf("p%d", no))
	b = append(b, name...)
	b = binary.BigEndian.AppendUint32(b, 0)          // config
	b = binary.BigEndian.AppendUint32(b, 1<<2)       // state: live
	b = binary.BigEndian.AppendUint32(b, 1<<5)       // curr: 1GB_FD
	b = binary.BigEndian.AppendUint32(b, 0)          // advertised
	b = binary.BigEndian.AppendUint32(b, 0)          // supported
	b = binary.BigEndian.AppendUint32(b, 0)          // peer
	b = binary.BigEndian.AppendUint32(b, 1000000)    // curr_speed kbps
	return binary.BigEndian.AppendUint32(b, 1000000) // max_speed
}

// packetIn builds an OFPT_PACKET_IN body for an 802.1Q-tagged UDP frame
// from src arriving on inPort, as a Faucet pipeline's eth_src table-miss
// delivers it (the vlan table has pushed the tag).
func packetIn(inPort uint32, vid uint16, src, dst [6]byte) []byte {
	frame := make([]byte, 0, 64)
	frame = append(frame, dst[:]...)
	frame = append(frame, src[:]...)
	frame = append(frame, 0x81, 0x00, byte(vid>>8)&0x0f, byte(vid), 0x08, 0x00)
	// IPv4 header (20 bytes) + UDP header (8 bytes) + padding.
	frame = append(frame, 0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0,
		10, 0, byte(src[4]), byte(src[5]), 10, 0, 0, 1)
	frame = append(frame, 0x13, 0x88, 0x13, 0x88, 0, 26, 0, 0)
	for len(frame) < 64 {
		frame = append(frame, 0)
	}
	b := binary.BigEndian.AppendUint32(nil, 0xffffffff) // buffer_id: none
	b = binary.BigEndian.AppendUint16(b, uint16(len(frame)))
	b = append(b, 0, 3) // reason no_match, table 3 (eth_src)
	b = binary.BigEndian.AppendUint64(b, 0x5adc15c0)
	// ofp_match: OXM, one in_port field, padded to 8 bytes.
	b = append(b, 0, 1, 0, 12)
	b = binary.BigEndian.AppendUint32(b, oxmClassBasic<<16|oxmInPort<<9|4)
	b = binary.BigEndian.AppendUint32(b, inPort)
	b = append(b, 0, 0, 0, 0) // match padding
	b = append(b, 0, 0)       // pad
	return append(b, frame...)
}

// flowModMACs returns the eth_src and eth_dst values a flow-mod matches,
// which is how ofload ties a response to the packet-in that caused it.
func flowModMACs(body []byte) (macs [][6]byte) {
	// ofp_flow_mod: 40 bytes after the header, then ofp_match.
	const matchOff = 40
	if len(body) < matchOff+4 {
		return nil
	}
	mlen := int(binary.BigEndian.Uint16(body[matchOff+2 : matchOff+4]))
	end := matchOff + mlen
	if end > len(body) {
		return nil
	}
	for off := matchOff + 4; off+4 <= end; {
		h := binary.BigEndian.Uint32(body[off : off+4])
		n := int(h & 0xff)
		field := uint8(h >> 9 & 0x7f)
		if h>>16 == oxmClassBasic && (field == oxmEthSrc || field == oxmEthDst) && n >= 6 && off+4+6 <= end {
			var m [6]byte
			copy(m[:], body[off+4:off+10])
			macs = append(macs, m)
		}
		off += 4 + n
	}
	return macs
}
