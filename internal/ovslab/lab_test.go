package ovslab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// twoHosts builds br0 with h1 (port 1) and h2 (port 2) on 10.0.0.0/24 and
// fc00::/64.
func twoHosts(t *testing.T, opts ...ovslab.BridgeOption) (*ovslab.Lab, *ovslab.Host, *ovslab.Host) {
	t.Helper()
	lab := ovslab.New(t)
	must[*ovslab.Bridge](t)(lab.AddBridge("br0", 1, opts...))
	h1 := must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "br0", OFPort: 1, Addrs: []string{"10.0.0.1/24", "fc00::1/64"}}))
	h2 := must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "br0", OFPort: 2, Addrs: []string{"10.0.0.2/24", "fc00::2/64"}}))
	return lab, h1, h2
}

func TestPingStandalone(t *testing.T) {
	_, h1, h2 := twoHosts(t, ovslab.Standalone())
	ctx := testCtx(t)
	for _, dst := range []string{h2.IP().String(), h2.IP6().String()} {
		st := must[ovslab.PingStats](t)(h1.Ping(ctx, dst, 3))
		if st.Received != 3 {
			t.Errorf("ping %s: %+v, want 3 received", dst, st)
		}
	}
}

// In secure mode without flows nothing passes: the ping helper must report
// loss, not success.
func TestPingSecureWithoutFlowsFails(t *testing.T) {
	lab, h1, h2 := twoHosts(t)
	ctx := testCtx(t)
	st := must[ovslab.PingStats](t)(h1.Ping(ctx, h2.IP().String(), 2))
	if st.Received != 0 || st.Loss() != 1 {
		t.Fatalf("ping through a flowless secure bridge: %+v, want all lost", st)
	}
	noErr(t, lab.AddFlow("br0", "actions=normal"))
	noErr(t, h1.WaitPing(ctx, h2.IP().String()))
}

func TestExecReportsCommandAndStderr(t *testing.T) {
	_, h1, _ := twoHosts(t, ovslab.Standalone())
	out := must[string](t)(h1.Exec(testCtx(t), "ip", "-o", "addr", "show", "dev", h1.Iface))
	if !strings.Contains(out, "10.0.0.1/24") || !strings.Contains(out, "fc00::1/64") {
		t.Errorf("addresses of %s: %s", h1.Iface, out)
	}
	if strings.Contains(out, "tentative") {
		t.Errorf("IPv6 address still tentative (DAD not disabled): %s", out)
	}
	_, err := h1.Exec(testCtx(t), "ip", "link", "show", "nosuchdev")
	if err == nil || !strings.Contains(err.Error(), "nosuchdev") || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error should name the command and carry stderr: %v", err)
	}
}
