package ovslab_test

import (
	"context"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

func portDesc(t *testing.T, lab *ovslab.Lab, bridge, port string) (ovslab.PortDesc, bool) {
	t.Helper()
	for _, p := range must[[]ovslab.PortDesc](t)(lab.DumpPortsDesc(bridge)) {
		if p.Port == port {
			return p, true
		}
	}
	return ovslab.PortDesc{}, false
}

func waitPort(t *testing.T, ctx context.Context, lab *ovslab.Lab, bridge, port string, cond func(ovslab.PortDesc, bool) bool) {
	t.Helper()
	for ctx.Err() == nil {
		if cond(portDesc(t, lab, bridge, port)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p, ok := portDesc(t, lab, bridge, port)
	t.Fatalf("port %s of %s: condition not met: %+v (exists %v)", port, bridge, p, ok)
}

// Ports come and go at runtime, lose carrier when the far end goes down,
// and hosts move between ports keeping connectivity.
func TestPortsAddDelLinkMove(t *testing.T) {
	lab, h1, h2 := twoHosts(t, ovslab.Standalone())
	ctx := testCtx(t)
	p := must[*ovslab.Port](t)(lab.AddPort("br0", 7))
	waitPort(t, ctx, lab, "br0", "7", func(d ovslab.PortDesc, ok bool) bool { return ok && d.Name == p.Name && d.LinkUp() })

	noErr(t, p.SetLink(false))
	waitPort(t, ctx, lab, "br0", "7", func(d ovslab.PortDesc, ok bool) bool { return ok && !d.LinkUp() })
	noErr(t, p.SetLink(true))
	waitPort(t, ctx, lab, "br0", "7", func(d ovslab.PortDesc, ok bool) bool { return ok && d.LinkUp() })

	noErr(t, lab.DelPort("br0", 7))
	waitPort(t, ctx, lab, "br0", "7", func(_ ovslab.PortDesc, ok bool) bool { return !ok })

	// Host cable pulled: ping fails; plugged in again: it works.
	noErr(t, h2.Port.SetLink(false))
	if st := must[ovslab.PingStats](t)(h1.Ping(ctx, h2.IP().String(), 1)); st.Received != 0 {
		t.Errorf("ping with h2's link down: %+v", st)
	}
	noErr(t, h2.Port.SetLink(true))
	noErr(t, h1.WaitPing(ctx, h2.IP().String()))

	// Host move: h2 reappears on port 5.
	noErr(t, h2.Port.Move("br0", 5))
	if h2.Port.OFPort != 5 {
		t.Errorf("after move: ofport %d", h2.Port.OFPort)
	}
	waitPort(t, ctx, lab, "br0", "5", func(d ovslab.PortDesc, ok bool) bool { return ok && d.Name == h2.Port.Name })
	waitPort(t, ctx, lab, "br0", "2", func(_ ovslab.PortDesc, ok bool) bool { return !ok })
	noErr(t, h1.WaitPing(ctx, h2.IP().String()))

	// Requesting a taken port number is an error, not a silent renumbering.
	if _, err := lab.AddPort("br0", 1); err == nil {
		t.Error("AddPort on a used ofport succeeded")
	}
	if n := len(must[[]ovslab.PortDesc](t)(lab.DumpPortsDesc("br0"))); n != 3 {
		t.Errorf("%d ports after the failed AddPort, want 3 (LOCAL, 1, 5)", n)
	}
}
