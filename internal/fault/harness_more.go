package fault

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Scrape returns the /metrics page as served, byte for byte.
func (p *Proc) Scrape(t testing.TB) []byte {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + p.PromAddr + "/metrics")
	if err != nil {
		t.Fatalf("fault: scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("fault: scrape: %s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("fault: scrape: %v", err)
	}
	return body
}

// Reload sends SIGHUP, as an operator's reload would.
func (p *Proc) Reload(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("fault: SIGHUP: %v", err)
	}
}

// LogCount counts the log lines that contain s.
func (p *Proc) LogCount(s string) int {
	n := 0
	for _, line := range strings.Split(p.Logs(), "\n") {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// MetricWith is the sum of the samples of name whose printed labels
// contain every one of labels (each `key="value"`); -1 when there is none.
func (p *Proc) MetricWith(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	sum, found := 0.0, false
next:
	for k, v := range p.Metrics(t) {
		if !strings.HasPrefix(k, name+"{") {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(k, l) {
				continue next
			}
		}
		sum += v
		found = true
	}
	if !found {
		return -1
	}
	return sum
}

// PeakRSS is the most resident memory the process has had (VmHWM), in
// bytes: a burst that grew it and was given back still shows here.
func (p *Proc) PeakRSS(t testing.TB) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("fault: no VmHWM")
	return 0
}
