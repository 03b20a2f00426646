package ovslab_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// A flow marks UDP to port 5004 with DSCP EF; the in-process receiver and a
// tcpdump capture must both see 46, while an unmarked stream to 5005 keeps
// DSCP 0 (so the marking is the switch's doing, not the sender's).
func TestUDPStreamDSCPMarking(t *testing.T) {
	lab, h1, h2 := twoHosts(t)
	ctx := testCtx(t)
	noErr(t, lab.AddFlowsBundleText("br0", `
priority=100,udp,nw_dst=10.0.0.2,tp_dst=5004 actions=set_field:46->ip_dscp,output:2
priority=10,in_port=1 actions=output:2
priority=10,in_port=2 actions=output:1
`))
	marked := must[*ovslab.Receiver](t)(h2.ReceiveUDP(":5004"))
	plain := must[*ovslab.Receiver](t)(h2.ReceiveUDP(":5005"))
	capt := must[*ovslab.Capture](t)(h2.Capture(ctx, "", "udp"))

	const n = 25
	res := must[ovslab.StreamResult](t)(h1.SendUDPStream(ctx, ovslab.Stream{Dst: "10.0.0.2:5004", SrcPort: 40000, PPS: 100, Count: n}))
	if res.Sent != n {
		t.Fatalf("sent %+v, want %d", res, n)
	}
	must[ovslab.StreamResult](t)(h1.SendUDPStream(ctx, ovslab.Stream{Dst: "10.0.0.2:5005", PPS: 200, Count: 5}))

	st := must[ovslab.RecvStats](t)(marked.WaitPackets(ctx, n))
	if st.DSCP[46] != n || st.Lost != 0 {
		t.Errorf("receiver on 5004: %d packets, DSCP %v, lost %d; want %d with DSCP 46", st.Packets, st.DSCP, st.Lost, n)
	}
	if st.Rate() < 50 || st.Rate() > 200 {
		t.Logf("receiver rate %.1f pps (sent at 100)", st.Rate()) // informative only: no timed assertions
	}
	pst := must[ovslab.RecvStats](t)(plain.WaitPackets(ctx, 5))
	if pst.DSCP[0] != 5 {
		t.Errorf("receiver on 5005: DSCP %v, want 5 packets with DSCP 0", pst.DSCP)
	}

	pkts := must[[]ovslab.Packet](t)(capt.Wait(ctx, func(p []ovslab.Packet) bool { return len(p) >= n+5 }))
	var ef, be int
	for _, p := range pkts {
		switch {
		case p.DstPort == 5004 && p.DSCP() == 46 && p.TOS == 0xb8 && p.SrcPort == 40000:
			ef++
		case p.DstPort == 5005 && p.DSCP() == 0:
			be++
		default:
			t.Errorf("unexpected packet %v", p)
		}
	}
	if ef != n || be != 5 {
		t.Errorf("capture: %d EF packets to 5004, %d best effort to 5005; want %d and 5", ef, be, n)
	}

	flows := must[[]ovslab.Flow](t)(lab.DumpFlows("br0", "udp"))
	if len(flows) != 1 || flows[0].Packets != n || flows[0].Match["tp_dst"] != "5004" {
		t.Errorf("marking flow: %+v, want one flow with %d packets", flows, n)
	}
}

// DSCP set by the sender over IPv6 reaches the receiver's traffic class.
func TestUDPv6SenderDSCP(t *testing.T) {
	_, h1, h2 := twoHosts(t, ovslab.Standalone())
	ctx := testCtx(t)
	r := must[*ovslab.Receiver](t)(h2.ReceiveUDP(":6000"))
	noErr(t, h1.WaitPing(ctx, h2.IP6().String()))
	must[ovslab.StreamResult](t)(h1.SendUDPStream(ctx, ovslab.Stream{Dst: "[fc00::2]:6000", PPS: 200, Count: 10, DSCP: 34}))
	st := must[ovslab.RecvStats](t)(r.WaitPackets(ctx, 10))
	if st.DSCP[34] != 10 {
		t.Errorf("DSCP %v, want 10 packets with 34", st.DSCP)
	}
	for src := range st.Sources {
		if src.Addr().String() != "fc00::1" {
			t.Errorf("source %v, want fc00::1", src)
		}
	}
	final, err := r.Close()
	noErr(t, err)
	if final.Packets != 10 {
		t.Errorf("after close: %d packets", final.Packets)
	}
}

// Sockets from ListenUDP/DialUDP live in the host namespaces.
func TestSocketsInNamespace(t *testing.T) {
	_, h1, h2 := twoHosts(t, ovslab.Standalone())
	ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
	defer cancel()
	srv := must[*net.UDPConn](t)(h2.ListenUDP("10.0.0.2:7000"))
	defer srv.Close()
	cli := must[*net.UDPConn](t)(h1.DialUDP(0, "10.0.0.2:7000"))
	defer cli.Close()
	if _, err := cli.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	dl, _ := ctx.Deadline()
	_ = srv.SetReadDeadline(dl)
	buf := make([]byte, 16)
	n, from, err := srv.ReadFromUDP(buf)
	noErr(t, err)
	if string(buf[:n]) != "hello" || from.IP.String() != "10.0.0.1" {
		t.Errorf("got %q from %v", buf[:n], from)
	}
}

// TestRTPEndpointsBothWays: two endpoints each send and receive on one
// port, as RTP does; each sees the other's stream from the other's port.
func TestRTPEndpointsBothWays(t *testing.T) {
	lab, h1, h2 := twoHosts(t)
	ctx := testCtx(t)
	noErr(t, lab.AddFlowsBundleText("br0", `
priority=10,in_port=1 actions=output:2
priority=10,in_port=2 actions=output:1
`))
	a := must[*ovslab.Receiver](t)(h1.ReceiveUDP("10.0.0.1:20000"))
	b := must[*ovslab.Receiver](t)(h2.ReceiveUDP("10.0.0.2:10002"))
	const n = 20
	done := make(chan ovslab.StreamResult, 1)
	go func() {
		r, _ := a.SendStream(ctx, ovslab.Stream{Dst: "10.0.0.2:10002", PPS: 100, Count: n})
		done <- r
	}()
	if r := must[ovslab.StreamResult](t)(b.SendStream(ctx, ovslab.Stream{Dst: "10.0.0.1:20000", PPS: 100, Count: n})); r.Sent != n {
		t.Fatalf("b sent %+v", r)
	}
	if r := <-done; r.Sent != n {
		t.Fatalf("a sent %+v", r)
	}
	for name, rx := range map[string]*ovslab.Receiver{"a": a, "b": b} {
		st := must[ovslab.RecvStats](t)(rx.WaitPackets(ctx, n))
		if st.Packets != n || len(st.Sources) != 1 {
			t.Errorf("%s: %d packets from %v, want %d from the peer's endpoint", name, st.Packets, st.Sources, n)
		}
	}
	if st := a.Stats(); st.Sources[netip.MustParseAddrPort("10.0.0.2:10002")] != n {
		t.Errorf("a heard %v, want the stream from 10.0.0.2:10002", st.Sources)
	}
}
