package controller

import (
	"bufio"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
)

// fakeSwitch is a scripted OpenFlow peer over loopback TCP.
type fakeSwitch struct {
	t    testing.TB
	conn net.Conn
	r    *wire.Reader
}

func dialFake(t testing.TB, addr net.Addr) *fakeSwitch {
	t.Helper()
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &fakeSwitch{t: t, conn: c, r: wire.NewReader(bufio.NewReader(c))}
}

// msg builds a raw message with any version.
func msg(version uint8, typ wire.Type, xid uint32, body []byte) []byte {
	b := make([]byte, 8, 8+len(body))
	b[0], b[1] = version, byte(typ)
	binary.BigEndian.PutUint16(b[2:], uint16(8+len(body)))
	binary.BigEndian.PutUint32(b[4:], xid)
	return append(b, body...)
}

func (f *fakeSwitch) send(b ...[]byte) {
	f.t.Helper()
	for _, m := range b {
		if _, err := f.conn.Write(m); err != nil {
			f.t.Fatalf("fake switch write: %v", err)
		}
	}
}

// expect reads messages until one of type typ arrives, answering echoes.
func (f *fakeSwitch) expect(typ wire.Type) (wire.Header, []byte) {
	f.t.Helper()
	for {
		h, body, err := f.r.Next()
		if err != nil {
			f.t.Fatalf("fake switch waiting for %s: %v", typ, err)
		}
		if h.Type == typ {
			return h, append([]byte(nil), body...)
		}
		if h.Type == wire.TypeEchoRequest {
			f.send(msg(4, wire.TypeEchoReply, h.XID, body))
		}
	}
}

// expectClosed reads until the controller closes the connection and
// returns the messages' types seen meanwhile.
func (f *fakeSwitch) expectClosed() []string {
	f.t.Helper()
	var seen []string
	for {
		h, body, err := f.r.Next()
		if err != nil {
			return seen
		}
		s := h.Type.String()
		if h.Type == wire.TypeError {
			if e, err := wire.DecodeError(body); err == nil {
				s += " " + e.Error()
			}
		}
		seen = append(seen, s)
	}
}

// handshake plays a well-behaved OpenFlow 1.3 switch up to the port-desc
// reply, with one port (1, "p1").
func (f *fakeSwitch) handshake(dpid uint64) {
	f.t.Helper()
	f.expect(wire.TypeHello)
	f.send(msg(4, wire.TypeHello, 1, []byte{0, 1, 0, 8, 0, 0, 0, 0x10}))
	f.expect(wire.TypeFeaturesRequest)
	feat := binary.BigEndian.AppendUint64(nil, dpid)
	feat = append(feat, 0, 0, 1, 0, 254, 0, 0, 0, 0, 0, 0, 0x4f, 0, 0, 0, 0)
	f.send(msg(4, wire.TypeFeaturesReply, 2, feat))
	h, _ := f.expect(wire.TypeMultipartRequest)
	f.send(multipartReply(h.XID, wire.MPPortDesc, 0, portBytes(1, "p1")))
}

func multipartReply(xid uint32, typ, flags uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = append(b, 0, 0, 0, 0)
	return msg(4, wire.TypeMultipartReply, xid, append(b, body...))
}

func portBytes(no uint32, name string) []byte {
	b := binary.BigEndian.AppendUint32(nil, no)
	b = append(b, 0, 0, 0, 0, 2, 0, 0, 0, 0, byte(no), 0, 0)
	n := make([]byte, 16)
	copy(n, name)
	b = append(b, n...)
	return append(b, make([]byte, 32)...) // config, state, features, speeds
}

// startFake runs a server and returns it with its recorder and address.
func startFake(t *testing.T, srv *Server) (*recorder, net.Addr) {
	rec := newRecorder()
	srv.Handler = rec
	if srv.HandshakeTimeout == 0 {
		srv.HandshakeTimeout = 5 * time.Second
	}
	addr, _ := testServer(t, srv, "")
	return rec, addr
}
