package routing

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

var ttlRE = regexp.MustCompile(`(?:ttl|hlim)=(\d+)`)

// pingTTL pings dst once from h (retrying until ctx ends) and returns the
// TTL or hop limit of the reply.
func pingTTL(ctx context.Context, t *testing.T, h *ovslab.Host, dst string) int {
	t.Helper()
	var last string
	for ctx.Err() == nil {
		out, _ := h.Exec(ctx, "ping", "-n", "-c", "1", "-W", "1", dst)
		if m := ttlRE.FindStringSubmatch(out); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
		last = out
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: no reply from %s: %s", h.Name, dst, last)
	return 0
}

// hostSetup runs shell commands in a host, failing the test on error.
func hostSetup(ctx context.Context, t *testing.T, h *ovslab.Host, cmds ...[]string) {
	t.Helper()
	for _, c := range cmds {
		if out, err := h.Exec(ctx, c...); err != nil {
			t.Fatalf("%s: %v: %v: %s", h.Name, c, err, out)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// newLab is ovslab.New with a longer wait for the machine-wide OVS lock:
// other packages' OVS tests may hold it for minutes.
func newLab(t testing.TB) *ovslab.Lab {
	t.Helper()
	ovslab.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	l, err := ovslab.Start(ctx, ovslab.Options{Logf: t.Logf})
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Logf("ovslab: close: %v", err)
		}
	})
	return l
}
