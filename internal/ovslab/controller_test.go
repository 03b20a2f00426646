package ovslab_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// fakeController accepts OpenFlow connections and does just enough (HELLO,
// echo replies) for OVS to count them as connected.
type fakeController struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newFakeController(t *testing.T) *fakeController {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	noErr(t, err)
	c := &fakeController{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.conns = append(c.conns, conn)
			c.mu.Unlock()
			go serveOF(conn)
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *fakeController) target() string { return "tcp:" + c.ln.Addr().String() }

func (c *fakeController) close() {
	c.ln.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
}

func serveOF(conn net.Conn) {
	defer conn.Close()
	_, _ = conn.Write([]byte{4, 0, 0, 8, 0, 0, 0, 1}) // OFPT_HELLO, OF1.3
	hdr := make([]byte, 8)
	for {
		if _, err := io.ReadFull(conn, hdr); err != nil {
			return
		}
		body := make([]byte, int(binary.BigEndian.Uint16(hdr[2:]))-8)
		if _, err := io.ReadFull(conn, body); err != nil {
			return
		}
		if hdr[1] == 2 { // OFPT_ECHO_REQUEST -> OFPT_ECHO_REPLY
			reply := append([]byte{4, 3}, hdr[2:]...)
			_, _ = conn.Write(append(reply, body...))
		}
	}
}

func TestControllerConnectDisconnect(t *testing.T) {
	lab := ovslab.New(t)
	c1, c2 := newFakeController(t), newFakeController(t)
	ctx := testCtx(t)
	must[*ovslab.Bridge](t)(lab.AddBridge("br0", 1, ovslab.WithController(c1.target(), c2.target()), ovslab.InactivityProbe(3*time.Second)))
	// A second bridge sharing c1: sockets alone cannot tell them apart.
	must[*ovslab.Bridge](t)(lab.AddBridge("br1", 2, ovslab.WithController(c1.target())))
	noErr(t, lab.WaitConnected(ctx, "br0"))
	noErr(t, lab.WaitConnected(ctx, "br1"))
	out := must[string](t)(lab.VsctlRaw("--bare", "--columns=max_backoff,inactivity_probe", "list", "controller"))
	if strings.Count(out, "1000") != 3 || strings.Count(out, "3000") != 2 {
		t.Errorf("controller settings: %q, want max_backoff 1000 on all three, inactivity_probe 3000 on br0's", out)
	}
	if st := must[map[string]bool](t)(lab.ControllerStatus("br0")); len(st) != 2 {
		t.Errorf("ControllerStatus: %v, want two targets", st)
	}

	c2.close()
	for {
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		err := lab.WaitConnected(short, "br0")
		cancel()
		if err != nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("WaitConnected still succeeds with one controller gone")
		}
	}
	noErr(t, lab.SetController("br0", c1.target()))
	noErr(t, lab.WaitConnected(ctx, "br0"))
	c1.close()
	noErr(t, lab.WaitDisconnected(ctx, "br0"))
	noErr(t, lab.WaitDisconnected(ctx, "br1"))
	noErr(t, lab.DelController("br0"))
	if out := must[string](t)(lab.VsctlRaw("get-controller", "br0")); strings.TrimSpace(out) != "" {
		t.Errorf("controllers after DelController: %q", out)
	}
	if err := lab.WaitConnected(ctx, "br0"); err == nil || !strings.Contains(err.Error(), "no controller") {
		t.Errorf("WaitConnected without controllers: %v", err)
	}
}

// Restarting ovs-vswitchd keeps bridges and ports but loses flows; pausing
// it stops forwarding until resumed.
func TestVswitchdPauseRestart(t *testing.T) {
	lab, h1, h2 := twoHosts(t)
	ctx := testCtx(t)
	noErr(t, lab.AddFlow("br0", "actions=normal"))
	noErr(t, h1.WaitPing(ctx, h2.IP().String()))
	pid := lab.VswitchdPID()
	if pid == 0 {
		t.Fatal("no ovs-vswitchd pid")
	}

	noErr(t, lab.PauseVswitchd())
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	if st, err := h1.Ping(short, "10.0.0.2", 2); err == nil && st.Received != 0 {
		t.Errorf("ping through a paused switch: %+v", st)
	}
	cancel()
	noErr(t, lab.ResumeVswitchd())
	noErr(t, h1.WaitPing(ctx, h2.IP().String()))

	noErr(t, lab.RestartVswitchd(ctx))
	if lab.VswitchdPID() == pid || lab.VswitchdPID() == 0 {
		t.Errorf("pid %d after restart (was %d)", lab.VswitchdPID(), pid)
	}
	if flows := must[[]ovslab.Flow](t)(lab.DumpFlows("br0")); len(flows) != 0 {
		t.Errorf("flows survived restart: %+v", flows)
	}
	if ports := must[[]ovslab.PortDesc](t)(lab.DumpPortsDesc("br0")); len(ports) != 3 {
		t.Errorf("ports after restart: %+v", ports)
	}
	noErr(t, lab.AddFlow("br0", "actions=normal"))
	noErr(t, h1.WaitPing(ctx, h2.IP().String()))
}
