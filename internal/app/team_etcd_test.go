package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/controller/team"
	"github.com/voipsdn/voipsdn/internal/etcdlab"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// With the default lease TTL (4 s) and the liveness link, losing an etcd
// member (the cluster's leader among them) or restarting a one-member etcd
// does not disturb calls: no role changes, a call up keeps exactly its
// flows (not re-added), and a call placed while etcd is down or electing
// gets its flows.
func TestTeamEtcdTroubleKeepsCalls(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members int
	}{{"member loss", 3}, {"etcd restart", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			etcd := etcdlab.Start(t, tc.members)
			lab := ovslab.New(t)
			t.Setenv("VOIPSDN_TEAM_E2E_SECRET", "s3cret")
			sim := amisim.New(amisim.Options{Username: "voipsdn", Secret: "s3cret",
				PBXAddr: netip.MustParseAddr("10.0.100.1"), RTPPortBase: 10000, RTCPInterval: -1})
			simLn, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			simCtx, stopSim := context.WithCancel(context.Background())
			simDone := make(chan struct{})
			go func() { _ = sim.Serve(simCtx, simLn); close(simDone) }()
			t.Cleanup(func() { stopSim(); <-simDone })
			cfgPath := filepath.Join(t.TempDir(), "faucet.yaml")
			if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(teamLabConfig, simLn.Addr().(*net.TCPAddr).Port)), 0o644); err != nil {
				t.Fatal(err)
			}
			link := func(c *team.Config) { c.Listen = "127.0.0.1:0" } // default TTL
			x := startTeamMemberCfg(t, "x", cfgPath, etcd, link)
			y := startTeamMemberCfg(t, "y", cfgPath, etcd, link)
			if _, err := lab.AddBridge("sw1", 1, ovslab.WithController("tcp:"+x.a.OFAddr().String(), "tcp:"+y.a.OFAddr().String()),
				ovslab.MaxBackoff(time.Second)); err != nil {
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
			waitUntil(t, "a master", 30*time.Second, func() bool { return x.a.Team().IsMaster(1) || y.a.Team().IsMaster(1) })
			master, standby := x, y
			if y.a.Team().IsMaster(1) {
				master, standby = y, x
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for _, h := range []string{"phone201", "phone202"} {
				if err := lab.Host(h).WaitPing(ctx, "10.0.100.1"); err != nil {
					t.Fatalf("%s cannot reach the PBX: %v", h, err)
				}
			}
			time.Sleep(time.Second)
			port := uint16(20200)
			call := func() {
				t.Helper()
				port += 200
				if _, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 100 * time.Millisecond,
					FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
					ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)}); err != nil {
					t.Fatal(err)
				}
			}
			call()
			waitUntil(t, "the first call's flows", 20*time.Second, func() bool { return len(callFlows(t, lab)) > 0 })
			// The call's direct-media flows, staged in case the PBX
			// steps out of the media path, go after 3 s; then its flows
			// are settled.
			time.Sleep(4 * time.Second)
			oneCall := len(callFlows(t, lab))
			before := callFlows(t, lab)

			// Watch the roles throughout.
			var changed atomic.Bool
			watchCtx, stopWatch := context.WithCancel(ctx)
			watched := make(chan struct{})
			go func() {
				defer close(watched)
				for watchCtx.Err() == nil {
					if !master.a.Team().IsMaster(1) || standby.a.Team().IsMaster(1) {
						changed.Store(true)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			for i := range tc.members {
				m := etcd.Member(i)
				if tc.members == 1 {
					start := time.Now()
					go func() { _ = m.Restart(30 * time.Second) }()
					time.Sleep(200 * time.Millisecond) // etcd is down now
					want := len(callFlows(t, lab)) + oneCall
					call()
					waitUntil(t, "the new call's flows", 20*time.Second, func() bool { return len(callFlows(t, lab)) >= want })
					if err := m.WaitHealthy(30 * time.Second); err != nil {
						t.Fatal(err)
					}
					t.Logf("etcd down and back in %v", time.Since(start))
				} else {
					m.Kill()
					time.Sleep(200 * time.Millisecond) // an etcd election may be under way
					want := len(callFlows(t, lab)) + oneCall
					call()
					waitUntil(t, "the new call's flows", 20*time.Second, func() bool { return len(callFlows(t, lab)) >= want })
					time.Sleep(3 * time.Second)
					if err := m.Start(); err != nil {
						t.Fatal(err)
					}
					if err := m.WaitHealthy(30 * time.Second); err != nil {
						t.Fatal(err)
					}
				}
			}
			time.Sleep(2 * time.Second)
			stopWatch()
			<-watched
			if changed.Load() {
				t.Errorf("a role changed while etcd was in trouble")
			}
			after := callFlows(t, lab)
			for k, b := range before {
				f, ok := after[k]
				switch {
				case !ok:
					t.Errorf("the first call lost a flow: %s", b.Text)
				case f.Duration < b.Duration:
					t.Errorf("flow re-added (age %v, was %v): %s", f.Duration, b.Duration, f.Text)
				}
			}
		})
	}
}
