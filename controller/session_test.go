package controller

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

func TestVersionNegotiation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version uint8
		elems   []byte
		ok      bool
	}{
		{"1.3 without bitmap", 4, nil, true},
		{"1.4 without bitmap", 5, nil, true},
		{"1.0 and 1.3 bitmap", 1, []byte{0, 1, 0, 8, 0, 0, 0, 0x12}, true},
		{"1.3 and 1.4 bitmap", 5, []byte{0, 1, 0, 8, 0, 0, 0, 0x30}, true},
		{"1.0 only", 1, nil, false},
		{"1.0 only with bitmap", 1, []byte{0, 1, 0, 8, 0, 0, 0, 0x02}, false},
		{"1.4 only bitmap", 5, []byte{0, 1, 0, 8, 0, 0, 0, 0x20}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &Server{}
			rec, addr := startFake(t, srv)
			f := dialFake(t, addr)
			f.expect(wire.TypeHello)
			f.send(msg(tc.version, wire.TypeHello, 9, tc.elems))
			if tc.ok {
				f.expect(wire.TypeFeaturesRequest)
				return
			}
			seen := f.expectClosed()
			if len(seen) != 1 || seen[0] != "error OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE" {
				t.Fatalf("controller sent %q before closing, want one HELLO_FAILED error", seen)
			}
			if len(rec.events) != 0 || srv.Stats().Rejected != 1 {
				t.Fatalf("events %d, stats %+v", len(rec.events), srv.Stats())
			}
		})
	}
}

func TestHandshakeAndPorts(t *testing.T) {
	rec, addr := startFake(t, &Server{})
	f := dialFake(t, addr)
	f.handshake(0x1234)
	sw := rec.sw(t, 5*time.Second)
	if sw.DPID() != 0x1234 {
		t.Fatalf("dpid %x", sw.DPID())
	}
	if ps := sw.Ports(); len(ps) != 1 || ps[0].No != 1 || ps[0].Name != "p1" || !ps[0].Up() {
		t.Fatalf("ports %+v", ps)
	}
	// A port-status add updates the table before the handler hears of it.
	f.send(msg(4, wire.TypePortStatus, 0, append([]byte{0, 0, 0, 0, 0, 0, 0, 0}, portBytes(2, "p2")...)))
	ev := <-rec.ports
	if ev.Reason != of13.PortAdded || ev.Port.Name != "p2" {
		t.Fatalf("port-status %+v", ev)
	}
	if _, ok := sw.Port(2); !ok {
		t.Fatal("port 2 missing")
	}
}

func TestAcceptRejectsUnknownDatapath(t *testing.T) {
	srv := &Server{Accept: func(dpid uint64) bool { return dpid == 1 }}
	rec, addr := startFake(t, srv)
	f := dialFake(t, addr)
	f.expect(wire.TypeHello)
	f.send(msg(4, wire.TypeHello, 1, nil))
	f.expect(wire.TypeFeaturesRequest)
	f.send(msg(4, wire.TypeFeaturesReply, 2, make([]byte, 24)))
	f.expectClosed()
	if len(rec.events) != 0 || srv.Stats().Rejected != 1 {
		t.Fatalf("events %d, stats %+v", len(rec.events), srv.Stats())
	}
}

func TestXIDMatchingAndErrors(t *testing.T) {
	rec, addr := startFake(t, &Server{})
	f := dialFake(t, addr)
	f.handshake(7)
	sw := rec.sw(t, 5*time.Second)
	ctx := ctxT(t)

	// Two concurrent requests answered in reverse order each get theirs.
	type result struct {
		table uint8
		flows []of13.FlowStats
		err   error
	}
	res := make(chan result, 2)
	for _, table := range []uint8{1, 2} {
		go func() {
			fs, err := sw.FlowStats(ctx, table, 0, 0)
			res <- result{table, fs, err}
		}()
	}
	h1, b1 := f.expect(wire.TypeMultipartRequest)
	h2, b2 := f.expect(wire.TypeMultipartRequest)
	f.send(multipartReply(h2.XID, wire.MPFlow, 0, flowStatsEntry(b2[8], 100)),
		multipartReply(h1.XID, wire.MPFlow, 0, flowStatsEntry(b1[8], 100)))
	for range 2 {
		r := <-res
		if r.err != nil || len(r.flows) != 1 || r.flows[0].Table != r.table {
			t.Fatalf("request for table %d got %+v, %v", r.table, r.flows, r.err)
		}
	}

	// An error for the second flow-mod of a batch is reported by the
	// barrier as that flow-mod.
	fm := func(p uint16) of13.Message {
		return of13.AddFlow(of13.Flow{Table: 0, Priority: p, Match: of13.NewMatch(of13.InPort(1))})
	}
	if err := sw.Send(ctx, fm(1), fm(2), fm(3)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sw.Barrier(ctx) }()
	var xids []uint32
	for range 3 {
		h, _ := f.expect(wire.TypeFlowMod)
		xids = append(xids, h.XID)
	}
	hb, _ := f.expect(wire.TypeBarrierRequest)
	f.send(msg(4, wire.TypeError, xids[1], []byte{0, 4, 0, 9, 1, 2, 3}),
		msg(4, wire.TypeBarrierReply, hb.XID, nil))
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ for flow-mod add table=0,priority=2,in_port=1") {
		t.Fatalf("barrier: %v", err)
	}
	if xids[0] >= xids[1] || xids[1] >= xids[2] || xids[2] >= hb.XID {
		t.Errorf("xids not increasing along the wire: %v then barrier %d", xids, hb.XID)
	}

	// An error nobody asked for goes to the handler.
	f.send(msg(4, wire.TypeError, 0, []byte{0, 1, 0, 1}))
	select {
	case e := <-rec.errs:
		if e.Err.Type != of13.ErrBadRequest || e.Request != "" {
			t.Fatalf("unsolicited error %v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("unsolicited error not delivered")
	}

	// An error answering a request fails that request.
	go func() { _, err := sw.DumpMeters(ctx); done <- err }()
	h, _ := f.expect(wire.TypeMultipartRequest)
	f.send(msg(4, wire.TypeError, h.XID, []byte{0, 1, 0, 2}))
	if err := <-done; !errors.Is(err, &of13.Error{Type: of13.ErrBadRequest, Code: 2}) {
		t.Fatalf("DumpMeters: %v", err)
	}
}

// flowStatsEntry is one minimal flow-stats entry (no match fields, no
// instructions) for table.
func flowStatsEntry(table uint8, priority uint16) []byte {
	b := []byte{0, 56, table, 0}
	b = append(b, make([]byte, 8)...) // durations
	b = binary.BigEndian.AppendUint16(b, priority)
	b = append(b, make([]byte, 10+24)...) // timeouts, flags, pad, cookie, counters
	return append(b, 0, 1, 0, 4, 0, 0, 0, 0)
}

func TestReplyMoreAggregation(t *testing.T) {
	rec, addr := startFake(t, &Server{})
	f := dialFake(t, addr)
	f.handshake(7)
	sw := rec.sw(t, 5*time.Second)
	res := make(chan []of13.FlowStats, 1)
	go func() {
		fs, err := sw.FlowStats(ctxT(t), of13.TableAll, 0, 0)
		if err != nil {
			t.Error(err)
		}
		res <- fs
	}()
	h, _ := f.expect(wire.TypeMultipartRequest)
	f.send(multipartReply(h.XID, wire.MPFlow, wire.MultipartReplyMore, append(flowStatsEntry(0, 1), flowStatsEntry(0, 2)...)))
	// An unrelated reply in between must not end the aggregation.
	f.send(msg(4, wire.TypeBarrierReply, 999, nil))
	f.send(multipartReply(h.XID, wire.MPFlow, wire.MultipartReplyMore, flowStatsEntry(1, 3)))
	f.send(multipartReply(h.XID, wire.MPFlow, 0, flowStatsEntry(2, 4)))
	fs := <-res
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%d/%d", f.Table, f.Priority))
	}
	if strings.Join(got, " ") != "0/1 0/2 1/3 2/4" {
		t.Fatalf("aggregated flows %v", got)
	}
}

func TestGarbageDisconnects(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  func(*fakeSwitch) []byte
	}{
		{"length below header", func(*fakeSwitch) []byte { return []byte{4, 2, 0, 4, 0, 0, 0, 1} }},
		{"wrong version", func(*fakeSwitch) []byte { return msg(1, wire.TypeEchoRequest, 1, nil) }},
		{"truncated body", func(*fakeSwitch) []byte { return msg(4, wire.TypeEchoRequest, 1, make([]byte, 100))[:50] }},
		{"second hello", func(*fakeSwitch) []byte { return msg(4, wire.TypeHello, 1, nil) }},
		{"short port-status", func(*fakeSwitch) []byte { return msg(4, wire.TypePortStatus, 0, make([]byte, 20)) }},
		{"packet-in with a bad match length", func(*fakeSwitch) []byte {
			return msg(4, wire.TypePacketIn, 0, append(make([]byte, 16), 0, 1, 0x40, 0))
		}},
		{"short multipart reply", func(*fakeSwitch) []byte { return msg(4, wire.TypeMultipartReply, 1, []byte{0, 1}) }},
		{"error without code", func(*fakeSwitch) []byte { return msg(4, wire.TypeError, 0, []byte{0}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, addr := startFake(t, &Server{})
			f := dialFake(t, addr)
			f.handshake(7)
			rec.sw(t, 5*time.Second)
			rec.next(t, time.Second) // connected
			f.send(tc.raw(f))
			if strings.HasPrefix(tc.name, "truncated") {
				f.conn.(interface{ CloseWrite() error }).CloseWrite()
			}
			ev := rec.next(t, 5*time.Second)
			if !strings.HasPrefix(ev, "disconnected 0000000000000007") {
				t.Fatalf("event %q, want a disconnect", ev)
			}
			f.expectClosed()
		})
	}
}

func TestOversizedMultipartReplyOfFlowStatsDisconnects(t *testing.T) {
	rec, addr := startFake(t, &Server{})
	f := dialFake(t, addr)
	f.handshake(7)
	sw := rec.sw(t, 5*time.Second)
	errc := make(chan error, 1)
	go func() { _, err := sw.FlowStats(ctxT(t), 0, 0, 0); errc <- err }()
	h, _ := f.expect(wire.TypeMultipartRequest)
	entry := flowStatsEntry(0, 1)
	entry[0], entry[1] = 0xff, 0xff // claims 65535 bytes
	f.send(multipartReply(h.XID, wire.MPFlow, 0, entry))
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("FlowStats of a bad reply: %v", err)
	}
}

func TestEchoKeepaliveAndTimeout(t *testing.T) {
	rec, addr := startFake(t, &Server{EchoInterval: 50 * time.Millisecond, EchoTimeout: 400 * time.Millisecond})
	f := dialFake(t, addr)
	f.handshake(7)
	rec.sw(t, 5*time.Second)
	rec.next(t, time.Second)
	// Answering echoes keeps the session up well past the timeout.
	for range 10 {
		h, _ := f.expect(wire.TypeEchoRequest)
		f.send(msg(4, wire.TypeEchoReply, h.XID, nil))
	}
	if len(rec.events) != 0 {
		t.Fatalf("session ended while the switch answered echoes: %s", rec.next(t, 0))
	}
	// Silence ends it.
	ev := rec.next(t, 5*time.Second)
	if !strings.Contains(ev, ErrEchoTimeout.Error()) {
		t.Fatalf("event %q, want echo timeout", ev)
	}
}

func TestReconnectReplacesOldSessionInOrder(t *testing.T) {
	rec, addr := startFake(t, &Server{})
	f1 := dialFake(t, addr)
	f1.handshake(7)
	sw1 := rec.sw(t, 5*time.Second)
	f2 := dialFake(t, addr)
	f2.handshake(7)
	sw2 := rec.sw(t, 5*time.Second)
	var evs []string
	for range 3 {
		evs = append(evs, strings.Fields(rec.next(t, 5*time.Second))[0])
	}
	if strings.Join(evs, ",") != "connected,disconnected,connected" {
		t.Fatalf("events %v", evs)
	}
	<-sw1.Done()
	if err := sw1.Barrier(ctxT(t)); !errors.Is(err, ErrReplaced) {
		t.Fatalf("old session: %v, want ErrReplaced", err)
	}
	f1.expectClosed()
	if cur, ok := rec2srv(t, sw2); !ok || cur != sw2 {
		t.Fatal("server does not list the new session")
	}
}

func rec2srv(t *testing.T, sw *Switch) (*Switch, bool) { return sw.srv.Switch(sw.DPID()) }

func TestSendBackpressureAndShutdownDrain(t *testing.T) {
	srv := &Server{QueueChunks: 2}
	rec, addr := startFake(t, srv)
	f := dialFake(t, addr)
	f.handshake(7)
	sw := rec.sw(t, 5*time.Second)
	// The fake does not read: socket buffers and the 2-chunk queue fill
	// up, and Send gives up when its context ends.
	big := make([]of13.Message, 20000)
	for i := range big {
		big[i] = of13.AddFlow(of13.Flow{Priority: uint16(i), Match: of13.NewMatch(of13.InPort(uint32(i)))})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		err = sw.Send(ctx, big...)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send into a full queue: %v, want DeadlineExceeded", err)
	}
	// Shutdown drains: the fake reads everything, answers the barrier,
	// and Serve returns.
	go func() {
		h, _ := f.expect(wire.TypeBarrierRequest)
		f.send(msg(4, wire.TypeBarrierReply, h.XID, nil))
		f.expectClosed()
	}()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	<-sw.Done()
	if s := srv.Stats(); s.FlowMods == 0 || s.Writes == 0 || s.Connected != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// packetInBody is a packet-in: buffer_id none, total_len 4, reason action,
// table 3, cookie 9, match in_port=5, pad, 4 bytes of data.
var packetInBody = []byte{0xff, 0xff, 0xff, 0xff, 0, 4, 1, 3, 0, 0, 0, 0, 0, 0, 0, 9,
	0, 1, 0, 12, 0x80, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef}

func TestPacketInDelivered(t *testing.T) {
	rec, addr := startFake(t, &Server{})
	f := dialFake(t, addr)
	f.handshake(7)
	rec.sw(t, 5*time.Second)
	f.send(msg(4, wire.TypePacketIn, 0, packetInBody))
	select {
	case p := <-rec.pins:
		if p.InPort() != 5 || p.Table != 3 || p.Cookie != 9 || p.Reason != of13.PacketInAction || string(p.Data) != "\xde\xad\xbe\xef" {
			t.Fatalf("packet-in %+v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("packet-in not delivered")
	}
}

func TestIgnoreUnknownDatapath(t *testing.T) {
	srv := &Server{Accept: func(dpid uint64) bool { return false }, Unknown: IgnoreUnknown}
	rec, addr := startFake(t, srv)
	f := dialFake(t, addr)
	f.expect(wire.TypeHello)
	f.send(msg(4, wire.TypeHello, 1, nil))
	f.expect(wire.TypeFeaturesRequest)
	f.send(msg(4, wire.TypeFeaturesReply, 2, append([]byte{0, 0, 0, 0, 0, 0, 0, 9}, make([]byte, 16)...)))
	// The connection stays up and echoes are answered, but nothing else.
	f.send(msg(4, wire.TypeEchoRequest, 77, []byte("hi")),
		msg(4, wire.TypePortStatus, 0, append(make([]byte, 8), portBytes(2, "p2")...)))
	h, body := f.expect(wire.TypeEchoReply)
	if h.XID != 77 || string(body) != "hi" {
		t.Fatalf("echo reply xid %d %q", h.XID, body)
	}
	if _, ok := srv.Switch(9); ok || len(rec.events) != 0 || len(rec.ports) != 0 {
		t.Fatalf("ignored switch reached the handler or the registry")
	}
}

// SendWithBarrier returns before the switch answers; its done function
// gets the error caused by its own messages, and a later batch's barrier is
// not blamed for them.
func TestSendWithBarrier(t *testing.T) {
	rec, addr := startFake(t, &Server{})
	f := dialFake(t, addr)
	f.handshake(9)
	sw := rec.sw(t, 5*time.Second)
	ctx := ctxT(t)
	fm := func(p uint16) of13.Message {
		return of13.AddFlow(of13.Flow{Table: 0, Priority: p, Match: of13.NewMatch(of13.InPort(1))})
	}
	done1, done2 := make(chan error, 1), make(chan error, 1)
	if err := sw.SendWithBarrier(ctx, []of13.Message{fm(1), fm(2)}, func(err error) { done1 <- err }); err != nil {
		t.Fatal(err)
	}
	if err := sw.SendWithBarrier(ctx, []of13.Message{fm(3)}, func(err error) { done2 <- err }); err != nil {
		t.Fatal(err)
	}
	h1, _ := f.expect(wire.TypeFlowMod)
	_, _ = f.expect(wire.TypeFlowMod)
	b1, _ := f.expect(wire.TypeBarrierRequest)
	_, _ = f.expect(wire.TypeFlowMod)
	b2, _ := f.expect(wire.TypeBarrierRequest)
	select {
	case err := <-done1:
		t.Fatalf("done before the reply: %v", err)
	default:
	}
	f.send(msg(4, wire.TypeError, h1.XID, []byte{0, 5, 0, 1}),
		msg(4, wire.TypeBarrierReply, b1.XID, nil),
		msg(4, wire.TypeBarrierReply, b2.XID, nil))
	if err := <-done1; err == nil || !strings.Contains(err.Error(), "OFPFMFC_TABLE_FULL for flow-mod add table=0,priority=1,in_port=1") {
		t.Errorf("first barrier: %v", err)
	}
	if err := <-done2; err != nil {
		t.Errorf("second barrier: %v", err)
	}

	// A barrier the switch never answers is reported when the session
	// ends.
	done3 := make(chan error, 1)
	if err := sw.SendWithBarrier(ctx, nil, func(err error) { done3 <- err }); err != nil {
		t.Fatal(err)
	}
	_, _ = f.expect(wire.TypeBarrierRequest)
	sw.Close()
	select {
	case err := <-done3:
		if err == nil {
			t.Error("an unanswered barrier reported success at the session's end")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an unanswered barrier was never reported")
	}
}

// queuingRecorder is a recorder whose handler only queues packet-ins.
type queuingRecorder struct {
	*recorder
	queued chan *of13.PacketIn
}

func (q queuingRecorder) QueuePacketIn(_ *Switch, p *of13.PacketIn) { q.queued <- p }

// A Handler that implements PacketInQueuer gets packet-ins through
// QueuePacketIn, never through PacketIn.
func TestPacketInQueuer(t *testing.T) {
	srv := &Server{HandshakeTimeout: 5 * time.Second}
	q := queuingRecorder{recorder: newRecorder(), queued: make(chan *of13.PacketIn, 10)}
	srv.Handler = q
	addr, _ := testServer(t, srv, "")
	f := dialFake(t, addr)
	f.handshake(7)
	q.sw(t, 5*time.Second)
	f.send(msg(4, wire.TypePacketIn, 0, packetInBody))
	select {
	case p := <-q.queued:
		if p.InPort() != 5 || string(p.Data) != "\xde\xad\xbe\xef" {
			t.Fatalf("packet-in %+v", p)
		}
	case p := <-q.pins:
		t.Fatalf("packet-in went through PacketIn: %+v", p)
	case <-time.After(5 * time.Second):
		t.Fatal("packet-in not delivered")
	}
	if s := srv.Stats(); s.PacketIns != 1 {
		t.Errorf("stats count %d packet-ins, want 1", s.PacketIns)
	}
}
