package fault

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// startWithPBX starts voipsdn serving sw1 and following pbx as server
// pbx1, and waits for its first login.
func startWithPBX(t *testing.T, lab *ovslab.Lab, pbx *PBX, extra ...string) (*Proc, string) {
	t.Helper()
	p := Start(t, Options{
		Config: Config(1) + pbx.VoIPConfig("pbx1", "ami.secret", extra...),
		Files:  map[string]string{"ami.secret": pbx.Secret},
	})
	target := "tcp:" + p.OFAddr
	AddSwitch(t, lab, "sw1", 1, target)
	return p, target
}

// uid is the Uniqueid of the i-th channel of a run (Asterisk's form:
// seconds.sequence).
func uid(run string, i int) string { return run + "." + strconv.Itoa(i) }

// One byte once killed the process: an AMI server that logs voipsdn in and
// sends `Event: \xff` made the Prometheus label code panic. Every value
// from the PBX that becomes a label is sanitised, so nothing panics (not
// even a recovered panic), the connection stays up, /metrics scrapes, and
// the bad bytes never reach the metrics page raw.
func TestAMIInvalidUTF8(t *testing.T) {
	lab := ovslab.New(t)
	pbx := StartPBX(t)
	p, target := startWithPBX(t, lab, pbx)
	pbx.WaitLogin(t, 30*time.Second)

	bad := []string{"\xff", "\xc3\x28", "\xed\xa0\x80", "\xf8\x88\x80\x80\x80", strings.Repeat("\xfe", 300),
		"Dial\xffEnd", `quote"back\slash`, strings.Repeat("LongName", 40)}
	var b bytes.Buffer
	for _, ev := range bad {
		b.WriteString("Event: " + ev + "\r\nPrivilege: system,all\r\n\r\n")
	}
	// A channel whose every field is invalid UTF-8 (amisim's BadUTF8):
	// created, answered and hung up.
	ch := "Channel: PJSIP/\xff\xfe-0001\r\nChannelState: 6\r\nChannelStateDesc: \xc3\x28\r\n" +
		"CallerIDNum: \xed\xa0\x80\r\nExten: \xf8\x88\x80\x80\x80\r\nUniqueid: \xff.1\r\nLinkedid: \xff.1\r\n"
	for _, ev := range []string{"Newchannel", "Newstate", "Hangup"} {
		b.WriteString("Event: " + ev + "\r\nPrivilege: call,all\r\n" + ch)
		if ev == "Hangup" {
			b.WriteString("Cause: 16\r\nCause-txt: \xff\r\n")
		}
		b.WriteString("\r\n")
	}
	// Twice: the second time once crash-looped the process.
	for round := range 2 {
		pbx.Send(t, b.Bytes())
		pbx.Send(t, []byte("Event: Sentinel"+strconv.Itoa(round)+"\r\nPrivilege: system,all\r\n\r\n"))
		Eventually(t, 30*time.Second, "the sentinel event", func() bool {
			return p.MetricWith(t, "voipsdn_ami_events_total", `event="Sentinel`+strconv.Itoa(round)+`"`) >= 1
		})
	}

	page := p.Scrape(t)
	if !utf8.Valid(page) {
		t.Errorf("the metrics page is not valid UTF-8")
	}
	for _, raw := range []string{"\xff", "\xfe", "\xc3\x28", "\xed\xa0\x80", "\xf8\x88"} {
		if bytes.Contains(page, []byte(raw)) {
			t.Errorf("the metrics page contains the raw bytes %q", raw)
		}
	}
	if n := p.MetricWith(t, "voipsdn_ami_events_total", `server="pbx1"`, `event="`+"\uFFFD"+`"`); n < 2 {
		t.Errorf(`voipsdn_ami_events_total{event="\uFFFD"} = %v, want the two \xff events counted, sanitised`, n)
	}
	if !bytes.Contains(page, []byte(`event="quote\"back\\slash"`)) {
		t.Errorf("an event name with a quote and a backslash is not escaped in the metrics page")
	}
	if n := p.Metric(t, "voipsdn_recovered_panics_total"); n > 0 {
		t.Errorf("voipsdn_recovered_panics_total = %v: the bad bytes reached a panic", n)
	}
	if n := pbx.Logins(); n != 1 {
		t.Errorf("voipsdn logged in %d times: the bad bytes cost the AMI connection", n)
	}
	AssertServing(t, p, lab, "sw1", target)
}

// A storm of Newchannel events, each a new call, from one server as fast
// as TCP takes them: the tracker stops at max_calls (default 10,000),
// counts the refused channels, and the process stays small and serves the
// switch. Before the bounds, 1.08M events held 955k ghost calls in 1.15 GB.
func TestAMINewchannelStorm(t *testing.T) {
	lab := ovslab.New(t)
	pbx := StartPBX(t)
	p, target := startWithPBX(t, lab, pbx)
	pbx.WaitLogin(t, 30*time.Second)
	AssertServing(t, p, lab, "sw1", target)
	base := p.RSS(t)

	const n = 300_000
	pbx.Storm(t, n, func(i int, buf []byte) []byte {
		id := uid("1800000000", i)
		return Newchannel(buf, id, id, false)
	})
	// Every event was either handed to the tracker or dropped by the full
	// queue (and counted).
	Eventually(t, 60*time.Second, "the storm to be consumed", func() bool {
		got := p.MetricWith(t, "voipsdn_ami_events_total", `server="pbx1"`, `event="Newchannel"`)
		dropped := max(0, p.MetricWith(t, "voipsdn_ami_events_dropped_total", `server="pbx1"`))
		return got+dropped >= n
	})
	refused := p.MetricWith(t, "voipsdn_ami_channels_refused_total", `server="pbx1"`)
	if refused < 1 {
		t.Errorf("voipsdn_ami_channels_refused_total{server=pbx1} = %v after %d new calls", refused, n)
	}
	if active := p.Metric(t, "voipsdn_calls_active"); active > 10_000 {
		t.Errorf("voipsdn_calls_active = %v, above max_calls (10000)", active)
	}
	if peak := p.PeakRSS(t); peak > 300<<20 {
		t.Errorf("peak RSS %d MB during a storm of %d Newchannel events (before: %d MB)", peak>>20, n, base>>20)
	}
	t.Logf("storm: %d events, refused %v, peak RSS %d MB (before %d MB)", n, refused, p.PeakRSS(t)>>20, base>>20)
	AssertServing(t, p, lab, "sw1", target)
}

// A storm that overflows voipsdn's AMI event queue loses events, Hangups
// among them, while the PBX really has no call: the overflow is counted
// under its server and resynchronises that server at once, so the ghost
// calls are gone within one resync, seconds after the storm. Before, 138
// ghost calls stayed for over a minute.
func TestAMIHangupDroppingStorm(t *testing.T) {
	lab := ovslab.New(t)
	pbx := StartPBX(t)
	// A limit far above the storm: the resync that ends the ghosts must be
	// the overflow's, not the one a refused channel asks for.
	p, target := startWithPBX(t, lab, pbx, "max_calls: 1000000")
	pbx.WaitLogin(t, 30*time.Second)
	Eventually(t, 30*time.Second, "the login's resync", func() bool { return pbx.Resyncs() >= 1 })

	// 138 answered calls. Their Hangups are never sent: a Hangup the queue
	// dropped and one never sent leave voipsdn in the same state, and this
	// way only a resync can end these calls.
	const ghosts = 138
	var b []byte
	for i := range ghosts {
		id := uid("1700000000", i)
		b = Newchannel(b, id, id, false)
		b = appendChannelEvent(b, "Newstate", id, id, true, "")
	}
	pbx.Send(t, b)
	p.WaitMetric(t, "voipsdn_calls_active", func(v float64) bool { return v == ghosts })
	resyncsBefore := pbx.Resyncs()

	// The storm: short calls, each a Newchannel and its Hangup.
	const n = 200_000
	pbx.Storm(t, 2*n, func(i int, buf []byte) []byte {
		id := uid("1800000000", i/2)
		if i%2 == 0 {
			return Newchannel(buf, id, id, false)
		}
		return Hangup(buf, id, id)
	})
	stormEnd := time.Now()
	dropped := p.WaitMetric(t, "voipsdn_ami_events_dropped_total", func(v float64) bool { return v > 0 })
	if n := p.MetricWith(t, "voipsdn_ami_events_dropped_total", `server="pbx1"`); n <= 0 {
		t.Errorf("dropped events are not counted under their server: %v under pbx1, %v in all", n, dropped)
	}
	// A correctness bound (one resync), not a performance figure: the
	// ghosts stayed for minutes before.
	deadline := time.Now().Add(15 * time.Second)
	for p.Metric(t, "voipsdn_calls_active") != 0 {
		if time.Now().After(deadline) {
			var lines []string
			for _, l := range strings.Split(p.Logs(), "\n") {
				if strings.Contains(l, "ami") || strings.Contains(l, "resync") || strings.Contains(l, "overflow") {
					lines = append(lines, l)
				}
			}
			t.Fatalf("%v ghost calls still up 15 s after the storm (%v events dropped, %d resyncs since the ghosts); AMI log:\n%s",
				p.Metric(t, "voipsdn_calls_active"), p.Metric(t, "voipsdn_ami_events_dropped_total"),
				pbx.Resyncs()-resyncsBefore, tail(strings.Join(lines, "\n"), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%v events dropped; ghosts gone %s after the storm was written; %d resyncs since",
		p.MetricWith(t, "voipsdn_ami_events_dropped_total", `server="pbx1"`), time.Since(stormEnd).Round(time.Millisecond),
		pbx.Resyncs()-resyncsBefore)
	if pbx.Resyncs() == resyncsBefore {
		t.Errorf("the overflow asked no resync")
	}
	if n := pbx.Logins(); n != 1 {
		t.Errorf("voipsdn logged in %d times: the storm cost the connection", n)
	}
	AssertServing(t, p, lab, "sw1", target)
}

// A PBX that accepts the login and closes the connection at once, every
// time: voipsdn backs off (about 0.5 s doubling to 30 s; only a session up
// for 30 s resets it), so over 12 s it logs in a handful of times, not the
// ~2 a second it did when the backoff reset at each login, and the switch
// is served meanwhile.
func TestAMILoginThenFail(t *testing.T) {
	lab := ovslab.New(t)
	pbx := StartPBX(t)
	pbx.CloseAfterLogin(true)
	p, target := startWithPBX(t, lab, pbx)
	Eventually(t, 30*time.Second, "the first login", func() bool { return pbx.Logins() >= 1 })
	first := time.Now()
	AssertServing(t, p, lab, "sw1", target)
	const window = 12 * time.Second
	time.Sleep(time.Until(first.Add(window)))
	// Expected: logins at about 0, 0.5, 1.5, 3.5 and 7.5 s (±20 %).
	n := pbx.Logins()
	t.Logf("%d logins in %s", n, window)
	if n > 6 {
		t.Errorf("%d logins in %s to a PBX that drops each session at once: no backoff", n, window)
	}
	if n < 3 {
		t.Errorf("only %d logins in %s: voipsdn stopped retrying", n, window)
	}
	if !p.Alive() {
		t.Fatalf("voipsdn exited")
	}
}
