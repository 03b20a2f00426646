package tracker_test

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// followSim runs a simulator and a client and driver following it; the
// returned func stops them all.
func followSim(t *testing.T, opt tracker.Options) (*amisim.Server, *collector, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
	got := &collector{}
	var drv *tracker.Driver
	client, err := ami.NewClient(ami.ServerConfig{
		Name: "sim", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Username: "admin",
		Secret: ami.NewSecret("s3cret"),
	}, func(d ami.Delivery) { drv.Handle(d) })
	if err != nil {
		t.Fatal(err)
	}
	opt.Server = "sim"
	drv = tracker.NewDriver(client, tracker.DriverOptions{Tracker: opt}, got.add)
	wg.Add(2)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	go func() { defer wg.Done(); _ = drv.Run(ctx) }()
	eventually(t, "login", func() bool { return sim.Stats().Sessions == 1 })
	eventually(t, "resync", func() bool {
		_, ok := got.find(func(ev tracker.Event) bool { _, ok := ev.(tracker.Resynced); return ok })
		return ok
	})
	return sim, got, func() { cancel(); wg.Wait() }
}

// TestWireCodecOfTranscodedLegs: when Asterisk transcodes between the legs,
// each leg is reported with the codec on its own wire (Nativeformats), not
// the core's side of the translation (Read/Writeformat, the peer's codec).
// The QoS meter of a G.729 leg is sized from this codec.
func TestWireCodecOfTranscodedLegs(t *testing.T) {
	sim, got, stop := followSim(t, tracker.Options{DirectMediaDelay: -1})
	defer stop()
	ap := netip.MustParseAddrPort
	cases := []struct{ caller, callee string }{
		{"alaw", "ulaw"}, // the lab's sipp PCMA leg bridged to a PCMU one
		{"g729", "ulaw"}, // a 31 kbit/s stream on one side, 87 on the other
		{"g729", "g729"}, // no transcoding
	}
	for i, c := range cases {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i), 1}), 4000)
		to := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i), 2}), 4000)
		id, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: c.caller, CalleeCodec: c.callee,
			FromRTP: from, ToRTP: to, AnswerAfter: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for _, leg := range []struct {
			remote netip.AddrPort
			codec  string
		}{{from, c.caller}, {to, c.callee}} {
			var mk tracker.MediaKnown
			eventually(t, "media of "+leg.remote.String(), func() bool {
				ev, ok := got.find(func(ev tracker.Event) bool {
					m, ok := ev.(tracker.MediaKnown)
					return ok && m.Call == id && m.Remote == leg.remote
				})
				if ok {
					mk = ev.(tracker.MediaKnown)
				}
				return ok
			})
			if mk.Codec != leg.codec {
				t.Errorf("%s->%s call: leg %s reported codec %q, want %q (its wire codec)", c.caller, c.callee, leg.remote, mk.Codec, leg.codec)
			}
		}
	}
	_ = ap
}
