package tracker_test

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// TestLiveClassVariable: a dialplan that sets VOIPSDN_QOS_CLASS on the
// caller's channel classifies the call without AGI: the tracker asks for
// the variable when a leg is answered and reports Classified for the
// caller's leg; an unknown class, and a call without the variable, give
// nothing; with no ClassVariable configured nothing is asked.
func TestLiveClassVariable(t *testing.T) {
	for _, on := range []bool{true, false} {
		before := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
		var got collector
		var drv *tracker.Driver
		client, err := ami.NewClient(ami.ServerConfig{
			Name: "sim", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Username: "admin",
			Secret: ami.NewSecret("s3cret"), Auth: "md5", PingInterval: time.Second,
		}, func(d ami.Delivery) { drv.Handle(d) })
		if err != nil {
			t.Fatal(err)
		}
		opt := tracker.Options{Server: "sim"}
		if on {
			opt.ClassVariable = "VOIPSDN_QOS_CLASS"
			opt.KnownClass = func(n string) bool { return n == "emergency" }
		}
		drv = tracker.NewDriver(client, tracker.DriverOptions{Tracker: opt}, got.add)
		wg.Add(2)
		go func() { defer wg.Done(); _ = client.Run(ctx) }()
		go func() { defer wg.Done(); _ = drv.Run(ctx) }()
		eventually(t, "login", func() bool { return client.Stats().Connected })

		ap := netip.MustParseAddrPort
		vars := map[string]string{"VOIPSDN_QOS_CLASS": "emergency"}
		emergency, _ := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", FromRTP: ap("10.254.0.201:20000"),
			ToRTP: ap("10.254.0.202:20002"), AnswerAfter: 20 * time.Millisecond, Vars: vars})
		gold, _ := sim.PlaceCall(amisim.CallSpec{From: "203", To: "204", FromRTP: ap("10.254.0.203:20004"),
			ToRTP: ap("10.254.0.204:20006"), AnswerAfter: 20 * time.Millisecond, Vars: map[string]string{"VOIPSDN_QOS_CLASS": "gold"}})
		plain, _ := sim.PlaceCall(amisim.CallSpec{From: "205", To: "206", FromRTP: ap("10.254.0.205:20008"),
			ToRTP: ap("10.254.0.206:20010"), AnswerAfter: 20 * time.Millisecond})
		// Media of every leg known: every answer-time Getvar was answered.
		for _, c := range []string{emergency, gold, plain} {
			eventually(t, "media of "+c, func() bool {
				n := 0
				got.mu.Lock()
				defer got.mu.Unlock()
				for _, ev := range got.evs {
					if m, ok := ev.(tracker.MediaKnown); ok && m.Call == c {
						n++
					}
				}
				return n >= 2
			})
		}
		if on {
			eventually(t, "Classified", func() bool {
				_, ok := got.find(func(ev tracker.Event) bool { _, ok := ev.(tracker.Classified); return ok })
				return ok
			})
		}
		var classified []tracker.Classified
		got.mu.Lock()
		for _, ev := range got.evs {
			if c, ok := ev.(tracker.Classified); ok {
				classified = append(classified, c)
			}
		}
		got.mu.Unlock()
		if on {
			if len(classified) != 1 || classified[0].Call != emergency || classified[0].Class != "emergency" ||
				classified[0].Server != "sim" || classified[0].Uniqueid != emergency {
				t.Errorf("classified %+v (emergency call %s)", classified, emergency)
			}
		} else if len(classified) != 0 {
			t.Errorf("class variable off, yet %+v", classified)
		}
		cancel()
		wg.Wait()
		checkGoroutines(t, before)
	}
}
