package lacp

import (
	"bytes"
	"errors"
	"net"
	"testing"
)

// wantFrame is an LACPDU written out by hand from IEEE 802.1AX-2008
// §5.4.2.2, independently of Frame: Faucet's answer from system
// 0e:00:00:00:00:01 (LAG 7, port 101, priority 255, active, in sync) to
// a partner 02:00:00:00:00:aa (priority 65535, key 9, port 2, priority
// 255, state 0x3d).
var wantFrame = []byte{
	0x01, 0x80, 0xc2, 0x00, 0x00, 0x02, // slow protocols multicast
	0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, // source
	0x88, 0x09, // slow protocols
	0x01, 0x01, // subtype LACP, version 1
	0x01, 0x14, // actor information, length 20
	0xff, 0xff, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, // system priority, system
	0x00, 0x07, 0x00, 0xff, 0x00, 0x65, // key, port priority, port
	0x3f, 0x00, 0x00, 0x00, // state: activity..distributing; reserved
	0x02, 0x14, // partner information, length 20
	0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
	0x00, 0x09, 0x00, 0xff, 0x00, 0x02,
	0x3d, 0x00, 0x00, 0x00,
	0x03, 0x10, 0x00, 0x00, // collector information, length 16, max delay 0
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x00, 0x00, // terminator
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
}

var wantPDU = PDU{
	Version: 1,
	Actor: Info{SystemPriority: 0xffff, System: [6]byte{0x0e, 0, 0, 0, 0, 1}, Key: 7, PortPriority: 255, Port: 101,
		State: StateActivity | StateTimeout | StateAggregation | StateSync | StateCollecting | StateDistributing},
	Partner: Info{SystemPriority: 0xffff, System: [6]byte{2, 0, 0, 0, 0, 0xaa}, Key: 9, PortPriority: 255, Port: 2,
		State: StateActivity | StateAggregation | StateSync | StateCollecting | StateDistributing},
}

func TestFrameBytes(t *testing.T) {
	if len(wantFrame) != FrameLen {
		t.Fatalf("hand-written frame is %d bytes, want %d", len(wantFrame), FrameLen)
	}
	got := wantPDU.Frame(net.HardwareAddr{0x0e, 0, 0, 0, 0, 1})
	if !bytes.Equal(got, wantFrame) {
		t.Fatalf("Frame:\n got %x\nwant %x", got, wantFrame)
	}
}

func TestParseBytes(t *testing.T) {
	got, err := Parse(wantFrame)
	if err != nil {
		t.Fatal(err)
	}
	if got != wantPDU {
		t.Fatalf("Parse:\n got %+v\nwant %+v", got, wantPDU)
	}
	// A packet-in cut after the collector TLV still parses.
	if _, err := Parse(wantFrame[:14+58]); err != nil {
		t.Errorf("truncated after collector: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	mut := func(i int, v byte) []byte {
		b := bytes.Clone(wantFrame)
		b[i] = v
		return b
	}
	for _, c := range []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty", nil, ErrShort},
		{"header only", wantFrame[:15], ErrShort},
		{"cut in partner", wantFrame[:14+30], ErrShort},
		{"other destination", mut(5, 0x0e), ErrNotLACP},
		{"other ethertype", mut(13, 0x00), ErrNotLACP},
		{"marker protocol", mut(14, 2), ErrNotLACP},
		{"version 0", mut(15, 0), ErrVersion0},
		{"actor type", mut(16, 2), ErrBadTLV},
		{"actor length", mut(17, 19), ErrBadTLV},
		{"partner type", mut(36, 1), ErrBadTLV},
		{"collector length", mut(57, 0), ErrBadTLV},
	} {
		if _, err := Parse(c.frame); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

func TestStateString(t *testing.T) {
	if s := (StateSync | StateExpired).String(); s != "sync|expired" {
		t.Errorf("got %q", s)
	}
	if s := State(0).String(); s != "none" {
		t.Errorf("got %q", s)
	}
}

// FuzzParse: no input panics, and whatever parses survives a round trip
// through Frame (the fields Parse reads are exactly those Frame writes).
func FuzzParse(f *testing.F) {
	f.Add(wantFrame)
	f.Add(wantFrame[:72])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		p.Version = 1
		again, err := Parse(p.Frame(net.HardwareAddr(b[6:12])))
		if err != nil {
			t.Fatalf("rebuilt frame does not parse: %v", err)
		}
		if again != p {
			t.Fatalf("round trip: %+v != %+v", again, p)
		}
	})
}
