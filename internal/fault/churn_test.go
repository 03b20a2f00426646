package fault

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// churnConfig is one switch with two phones and the PBX's media address
// behind it, and the simulated PBX as AMI server "pbx". The idle timeout
// is far longer than the test, so no per-call flow expires by itself: only
// voipsdn can remove one, and a flow it forgets stays on the switch to be
// seen.
const churnConfig = `vlans:
  voice: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    hardware: Open vSwitch
    interfaces:
      1: {name: phone201, native_vlan: voice}
      2: {name: phone202, native_vlan: voice}
      5: {name: pbx, native_vlan: voice}
voip:
  asterisk:
    pbx:
      host: 127.0.0.1
      port: %d
      username: voipsdn
      secret_file: ami.secret
  qos:
    rtp_port_range: [10000, 20000]
    pinhole: mark
    idle_timeout: 3600
    pbx_addresses: [10.0.100.1]
`

const churnSecret = "churn-secret"

// Per-call flows carry the category 0x5643 ("VC") in the top 16 bits of
// their cookie, a run's generation in the next 16 and a hash of server and
// Linkedid in the low 32 bits: an
// on-switch format, which a restarted voipsdn relies on to find and adopt
// them, so the test may rely on it too.
const (
	callCookieCategory = uint64(0x5643) << 48
	callCookieMask     = uint64(0xffff) << 48
	// callCookieGenMask: bits 32-47 hold the generation of the run that
	// installed the flow, so one call's flows differ there across restarts.
	callCookieGenMask = uint64(0xffff) << 32
)

var callFlowFilter = fmt.Sprintf("cookie=%#x/%#x", callCookieCategory, callCookieMask)

func callCookie(server, linkedid string) uint64 {
	h := fnv.New32a()
	h.Write([]byte(server))
	h.Write([]byte{0})
	h.Write([]byte(linkedid))
	return callCookieCategory | uint64(h.Sum32())
}

// churnCall is one call of the churn, for telling where a leaked flow
// came from.
type churnCall struct {
	index  int
	id     string
	placed time.Time
	ends   time.Time // placed + answer + hold
	direct bool
}

// outage is one kill -9: from the kill to the new process listening.
type outage struct{ killed, up time.Time }

// TestKill9DuringChurn kills voipsdn with SIGKILL twice while 1,000 short
// calls come and go (a third of them moving their media phone to phone),
// and starts it again each time on the same ports with the same
// configuration. Calls that end while no voipsdn runs leave flows and
// meters on the switch that only the restarted process can remove, once it
// has resynchronised with the PBX and swept the switch. At the end, with
// every call over: no per-call flow, no meter (the configuration defines
// none of its own), no call counted active, and the process serves the
// switch. Meanwhile a few long calls that are up across both kills keep
// their flows throughout: the restarted process adopts them, it neither
// sweeps them nor leaves a gap.
func TestKill9DuringChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("churn: about a minute")
	}
	lab := ovslab.New(t)
	sim, amiPort := startChurnSim(t)
	addr := FreePort(t)
	opts := Options{Config: fmt.Sprintf(churnConfig, amiPort), Files: map[string]string{"ami.secret": churnSecret}, OFAddr: addr}
	p := Start(t, opts)
	target := "tcp:" + addr
	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController(target), ovslab.MaxBackoff(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, h := range []ovslab.HostSpec{
		{Name: "phone201", OFPort: 1, Addrs: []string{"10.0.100.201/24"}},
		{Name: "phone202", OFPort: 2, Addrs: []string{"10.0.100.202/24"}},
		{Name: "pbx", OFPort: 5, Addrs: []string{"10.0.100.1/24"}},
	} {
		h.Bridge = "sw1"
		if _, err := lab.AddHost(h); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lab.WaitConnected(ctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	// The phones talk to the PBX once, so voipsdn knows where they are.
	// The restarted processes learn nothing this way (the hosts stay
	// silent): they must find the call endpoints by probing.
	for _, h := range []string{"phone201", "phone202"} {
		if err := lab.Host(h).WaitPing(ctx, "10.0.100.1"); err != nil {
			t.Fatalf("%s cannot reach the PBX: %v", h, err)
		}
	}
	p.WaitMetric(t, "voipsdn_ami_connection_state", func(v float64) bool { return v == 3 })

	// The long calls, up from before the first kill to after the churn.
	const longCalls = 4
	var longIDs []string
	for k := range longCalls {
		id, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 50 * time.Millisecond,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), uint16(30000+2*k)),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), uint16(30000+2*k))})
		if err != nil {
			t.Fatal(err)
		}
		longIDs = append(longIDs, id)
	}
	// Two legs, each RTP and RTCP both ways.
	const flowsPerCall = 8
	long := map[uint64]int{}
	for _, id := range longIDs {
		long[callCookie("pbx", id)] = flowsPerCall
	}
	Eventually(t, 20*time.Second, "the long calls' flows", func() bool {
		byCookie := callFlowsByCookie(t, lab)
		for c, n := range long {
			if len(byCookie[c]) != n {
				return false
			}
		}
		return len(byCookie) == len(long)
	})
	longBefore := flowMatches(callFlowsByCookie(t, lab), long)

	mon := startChurnMonitor(lab, long)
	defer mon.stop()

	// The churn: 1,000 calls, one every 25 ms, each up for 1.5-3.5 s.
	const calls = 1000
	var (
		placedN  atomic.Int64
		mu       sync.Mutex
		churn    []churnCall
		placeErr error
	)
	placed := make(chan struct{})
	go func() {
		defer close(placed)
		rng := rand.New(rand.NewPCG(16, 9))
		for i := range calls {
			port := uint16(20000 + 2*i)
			hold := 1500*time.Millisecond + time.Duration(rng.IntN(2000))*time.Millisecond
			now := time.Now()
			id, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw",
				AnswerAfter: 50 * time.Millisecond, Hold: hold,
				FromRTP:     netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
				ToRTP:       netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port),
				DirectMedia: i%3 == 0})
			mu.Lock()
			if err != nil {
				placeErr = fmt.Errorf("call %d: %w", i, err)
				mu.Unlock()
				return
			}
			churn = append(churn, churnCall{index: i, id: id, placed: now, ends: now.Add(50*time.Millisecond + hold), direct: i%3 == 0})
			mu.Unlock()
			placedN.Add(1)
			time.Sleep(25 * time.Millisecond)
		}
	}()

	// Two kills, each while a few hundred calls are up; calls keep coming
	// while no voipsdn runs.
	var outages []outage
	for _, at := range []int64{300, 650} {
		for placedN.Load() < at {
			time.Sleep(10 * time.Millisecond)
		}
		killed := time.Now()
		p.Kill()
		time.Sleep(time.Second)
		p = Start(t, opts)
		outages = append(outages, outage{killed: killed, up: time.Now()})
		t.Logf("kill -9 after %d calls placed; %d per-call flows on the switch then; new process up %s later",
			at, mon.flowsAt(killed), time.Since(killed).Round(time.Millisecond))
	}
	<-placed
	mu.Lock()
	if placeErr != nil {
		t.Fatal(placeErr)
	}
	mu.Unlock()

	// Every churn call hangs up by itself; only the long calls stay.
	Eventually(t, 30*time.Second, "the churn calls to end", func() bool { return len(sim.ActiveCalls()) == longCalls })
	// The last process has resynchronised and swept by now; give the last
	// hang-ups a moment to reach the switch.
	var left map[uint64][]ovslab.Flow
	deadline := time.Now().Add(15 * time.Second)
	for {
		left = callFlowsByCookie(t, lab)
		for c := range long {
			delete(left, c)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mon.stop()
	if len(left) > 0 {
		t.Errorf("%d churn calls left per-call flows on the switch after they ended:\n%s",
			len(left), describeLeaks(left, churn, outages))
	}
	if len(mon.short) > 0 {
		t.Errorf("the long calls, up throughout, lost flows across the kills (%d of %d switch reads):\n%s",
			len(mon.short), mon.reads, strings.Join(firstN(mon.short, 10), "\n"))
	}
	if after := flowMatches(callFlowsByCookie(t, lab), long); !equalMatches(after, longBefore) {
		t.Errorf("the long calls' flows changed across the kills:\nbefore:\n%s\nafter:\n%s",
			strings.Join(longBefore, "\n"), strings.Join(after, "\n"))
	}
	if mon.reads == 0 {
		t.Fatalf("the monitor never read the switch: %v", mon.err)
	}
	// The assertions below could not fail if nothing had been installed.
	if mon.maxFlows <= len(long)*flowsPerCall || mon.maxMeters == 0 {
		t.Fatalf("the churn never showed on the switch: at most %d per-call flows and %d meters", mon.maxFlows, mon.maxMeters)
	}
	t.Logf("churn: up to %d per-call flows and %d meters on the switch; %d switch reads", mon.maxFlows, mon.maxMeters, mon.reads)

	for _, id := range longIDs {
		if err := sim.Hangup(id, 16); err != nil {
			t.Fatal(err)
		}
	}
	Eventually(t, 10*time.Second, "no per-call flow", func() bool { return len(callFlowsByCookie(t, lab)) == 0 })
	meters, err := lab.DumpMeters("sw1")
	if err != nil {
		t.Fatal(err)
	}
	if len(meters) > 0 {
		ids := make([]string, len(meters))
		for i, m := range meters {
			ids[i] = fmt.Sprintf("%#x", m.ID)
		}
		t.Errorf("%d meters left on the switch with every call over: %s", len(meters), strings.Join(ids, " "))
	}
	p.WaitMetric(t, "voipsdn_calls_active", func(v float64) bool { return v == 0 })
	AssertServing(t, p, lab, "sw1", target)
}

// startChurnSim runs the simulated Asterisk in the test process on a
// loopback port until the test ends.
func startChurnSim(t *testing.T) (*amisim.Server, int) {
	t.Helper()
	sim := amisim.New(amisim.Options{Username: "voipsdn", Secret: churnSecret,
		PBXAddr: netip.MustParseAddr("10.0.100.1"), RTPPortBase: 10000, RTCPInterval: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sim.Serve(ctx, ln); close(done) }() //nolint:errcheck // ends with ctx
	t.Cleanup(func() { cancel(); <-done })
	return sim, ln.Addr().(*net.TCPAddr).Port
}

// callFlowsByCookie reads sw1's per-call flows, by cookie.
func callFlowsByCookie(t testing.TB, lab *ovslab.Lab) map[uint64][]ovslab.Flow {
	t.Helper()
	flows, err := lab.DumpFlows("sw1", callFlowFilter)
	if err != nil {
		t.Fatal(err)
	}
	return groupByCookie(flows)
}

func groupByCookie(flows []ovslab.Flow) map[uint64][]ovslab.Flow {
	out := map[uint64][]ovslab.Flow{}
	for _, f := range flows {
		c := f.Cookie &^ callCookieGenMask // the call, whichever run installed it
		out[c] = append(out[c], f)
	}
	return out
}

// churnMonitor reads the switch every 100 ms: the most per-call flows
// and meters seen, the per-call flow count at each read, and every read
// that found a long call with fewer flows than it had before the churn.
type churnMonitor struct {
	lab  *ovslab.Lab
	long map[uint64]int
	quit chan struct{}
	done chan struct{}
	once sync.Once

	mu        sync.Mutex
	reads     int
	maxFlows  int
	maxMeters int
	short     []string
	history   []monRead
	err       error // the last failed read
}

type monRead struct {
	at    time.Time
	flows int
}

func startChurnMonitor(lab *ovslab.Lab, long map[uint64]int) *churnMonitor {
	m := &churnMonitor{lab: lab, long: long, quit: make(chan struct{}), done: make(chan struct{})}
	go m.run()
	return m
}

func (m *churnMonitor) run() {
	defer close(m.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-m.quit:
			return
		case <-tick.C:
		}
		flows, err := m.lab.DumpFlows("sw1", callFlowFilter)
		if err != nil {
			m.mu.Lock()
			m.err = err
			m.mu.Unlock()
			continue
		}
		meters, merr := m.lab.DumpMeters("sw1")
		now := time.Now()
		byCookie := groupByCookie(flows)
		m.mu.Lock()
		m.reads++
		m.maxFlows = max(m.maxFlows, len(flows))
		if merr == nil {
			m.maxMeters = max(m.maxMeters, len(meters))
		}
		m.history = append(m.history, monRead{at: now, flows: len(flows)})
		for c, want := range m.long {
			if got := len(byCookie[c]); got < want {
				m.short = append(m.short, fmt.Sprintf("%s: call cookie %#x has %d flows, had %d",
					now.Format("15:04:05.000"), c, got, want))
			}
		}
		m.mu.Unlock()
	}
}

// stop ends the monitor and waits for it; its results are then stable.
func (m *churnMonitor) stop() {
	m.once.Do(func() { close(m.quit) })
	<-m.done
}

// flowsAt is the per-call flow count of the last read before t.
func (m *churnMonitor) flowsAt(t time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.history {
		if r.at.After(t) {
			break
		}
		n = r.flows
	}
	return n
}

// describeLeaks names, for each leaked cookie, the churn call it belongs
// to and where its life fell relative to the outages, with its flows.
func describeLeaks(left map[uint64][]ovslab.Flow, churn []churnCall, outages []outage) string {
	byCookie := map[uint64]churnCall{}
	for _, c := range churn {
		byCookie[callCookie("pbx", c.id)] = c
	}
	phase := func(c churnCall) string {
		for k, o := range outages {
			switch {
			case c.placed.Before(o.killed) && c.ends.After(o.killed) && c.ends.Before(o.up):
				return fmt.Sprintf("up at kill %d, ended while no voipsdn ran", k+1)
			case c.placed.Before(o.killed) && !c.ends.Before(o.up):
				return fmt.Sprintf("up across kill %d, ended %s after the restart", k+1, c.ends.Sub(o.up).Round(time.Millisecond))
			case !c.placed.Before(o.killed) && c.placed.Before(o.up):
				return fmt.Sprintf("placed while no voipsdn ran (kill %d)", k+1)
			}
		}
		return "clear of the kills"
	}
	cookies := make([]uint64, 0, len(left))
	for c := range left {
		cookies = append(cookies, c)
	}
	sort.Slice(cookies, func(i, j int) bool { return byCookie[cookies[i]].index < byCookie[cookies[j]].index })
	var lines []string
	for i, c := range cookies {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("... and %d more", len(cookies)-i))
			break
		}
		call, ok := byCookie[c]
		what := "no churn call"
		if ok {
			what = fmt.Sprintf("call %d (%s, direct media %v, %s)", call.index, call.id, call.direct, phase(call))
		}
		lines = append(lines, fmt.Sprintf("  cookie %#x, %s: %d flows", c, what, len(left[c])))
		for _, f := range left[c] {
			lines = append(lines, "    "+f.Text)
		}
	}
	return strings.Join(lines, "\n")
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}

// flowMatches lists the cookies and matches of the flows whose cookie is
// in keep, sorted.
func flowMatches(byCookie map[uint64][]ovslab.Flow, keep map[uint64]int) []string {
	var out []string
	for c := range keep {
		for _, f := range byCookie[c] {
			out = append(out, fmt.Sprintf("%#x table=%d priority=%d %s", c, f.Table, f.Priority, f.MatchString()))
		}
	}
	sort.Strings(out)
	return out
}

func equalMatches(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}
