package ari_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ari"
	"github.com/voipsdn/voipsdn/ari/arisim"
	"github.com/voipsdn/voipsdn/call"
)

const livePassword = "lab-ari-secret-93b1"

// liveSource starts a Source against sim over real HTTP and WebSocket and
// returns its events. The URLs the simulator saw are in *urls.
func liveSource(t *testing.T, sim *arisim.Server, password string) (<-chan call.Event, func() int, func()) {
	t.Helper()
	var mu sync.Mutex
	var urls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		urls = append(urls, r.URL.String())
		mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	quick := ami.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}
	src, err := ari.NewSource(ari.Config{
		Server: "pbx1", URL: srv.URL, Username: "voipsdn", Password: ami.NewSecret(password),
		SubscribeAll: true, Backoff: quick, ConnectBackoff: quick,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "pbx1/ari" || src.Server() != "pbx1" {
		t.Fatalf("name %q server %q", src.Name(), src.Server())
	}
	ctx, cancel := context.WithCancel(context.Background())
	evs := make(chan call.Event, 1024)
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, func(e call.Event) { evs <- e }) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		sim.Close()
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, u := range urls {
			if strings.Contains(u, password) {
				t.Errorf("password in a URL: %s", u)
			}
		}
	}
	requests := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(urls)
	}
	return evs, requests, stop
}

// next waits for an event of type T (others are collected in *seen).
func next[T call.Event](t *testing.T, evs <-chan call.Event, seen *[]call.Event) T {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-evs:
			*seen = append(*seen, e)
			if x, ok := e.(T); ok {
				return x
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T; saw %s", zero, strings.Join(summary(*seen), "; "))
			return zero
		}
	}
}

// TestLiveFollowDisconnectResync: a Source follows the external media
// call of recording 01 from the simulator over HTTP and WebSocket; the
// connection drops mid-call, the caller hangs up meanwhile, and the
// resync after the reconnect ends the caller's call (ended while
// disconnected) and keeps the external media channel, whose later
// hang-up ends its call normally.
func TestLiveFollowDisconnectResync(t *testing.T) {
	sim := arisim.New(loadRecording(t, "01-extmedia-201-to-501-app-hangs-up"), "voipsdn", livePassword)
	joined := sim.Joined()
	evs, _, stop := liveSource(t, sim, livePassword)
	defer stop()
	<-joined
	var seen []call.Event
	if r := next[call.Resynced](t, evs, &seen); len(r.Calls) != 0 || r.Server != "pbx1" {
		t.Fatalf("first resync %+v", r)
	}
	// Up to the external media channel entering the bridge.
	sim.PlayUntil(`"type":"ChannelEnteredBridge"`)
	sim.PlayUntil(`"type":"ChannelEnteredBridge"`)
	media := map[string]call.MediaKnown{}
	for len(media) < 2 {
		m := next[call.MediaKnown](t, evs, &seen)
		media[m.Leg.Uniqueid] = m
	}
	if m := media["1796624903.0"]; m.Remote.String() != "10.0.100.201:25064" || m.Local.String() != "10.0.100.1:10980" || m.Codec != "ulaw" || m.Call != "1796624903.0" {
		t.Errorf("phone leg media %+v", m)
	}
	if m := media["1796624903.1"]; m.Remote.String() != "10.0.100.204:40000" || m.Local.String() != "10.0.100.1:10054" || m.Codec != "ulaw" || m.Source != call.SourceChannelVars {
		t.Errorf("external media %+v", m)
	}

	// The PBX goes away; meanwhile the caller hangs up.
	sim.SetDown(true)
	sim.Drop()
	sim.PlayUntil(`"type":"ChannelDestroyed"`)
	joined = sim.Joined()
	sim.SetDown(false)
	<-joined
	end := next[call.CallEnded](t, evs, &seen)
	if end.Call != "1796624903.0" || end.Reason != call.ReasonDisconnected {
		t.Errorf("after resync: %+v", end)
	}
	if r := next[call.Resynced](t, evs, &seen); strings.Join(r.Calls, ",") != "1796624903.1" {
		t.Errorf("resynced calls %v", r.Calls)
	}
	// The rest of the recording: the external media channel goes.
	sim.Play(sim.Len())
	end = next[call.CallEnded](t, evs, &seen)
	if end.Call != "1796624903.1" || end.Reason != "" || end.Cause != 16 {
		t.Errorf("external media call end %+v", end)
	}
}

// TestLiveResyncFindsCall: a Source that connects mid-call learns the
// calls from GET /ari/channels and /ari/bridges, names them by their
// current Linkedid (CHANNEL(linkedid): the bridge merged the external
// media channel into the caller's call) and asks their media.
func TestLiveResyncFindsCall(t *testing.T) {
	sim := arisim.New(loadRecording(t, "03-b2bua-201-to-502-app-originates-202"), "voipsdn", livePassword)
	sim.PlayUntil(`"type":"ChannelEnteredBridge"`)
	sim.PlayUntil(`"type":"ChannelEnteredBridge"`)
	joined := sim.Joined()
	evs, _, stop := liveSource(t, sim, livePassword)
	defer stop()
	<-joined
	var seen []call.Event
	r := next[call.Resynced](t, evs, &seen)
	if strings.Join(r.Calls, ",") != "1796624936.4" {
		t.Fatalf("resynced calls %v; saw %s", r.Calls, strings.Join(summary(seen), "; "))
	}
	media := map[string]call.MediaKnown{}
	for len(media) < 2 {
		m := next[call.MediaKnown](t, evs, &seen)
		media[m.Leg.Uniqueid] = m
	}
	if m := media["1796624936.5"]; m.Call != "1796624936.4" || m.Remote.String() != "10.0.100.202:25060" || m.Leg.Bridge != "d7e8ac26-a832-4f49-9168-6feff6b92ab5" {
		t.Errorf("callee %+v", m)
	}
	if m := media["1796624936.4"]; m.Remote.String() != "10.0.100.201:25064" {
		t.Errorf("caller %+v", m)
	}
}

// TestLiveWrongPassword: a refused login emits nothing and is retried
// with the session backoff; the password never appears in a URL.
func TestLiveWrongPassword(t *testing.T) {
	sim := arisim.New(loadRecording(t, "01-extmedia-201-to-501-app-hangs-up"), "voipsdn", livePassword)
	evs, requests, stop := liveSource(t, sim, "wrong-password")
	for deadline := time.Now().Add(10 * time.Second); requests() < 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("refused login not retried: %d requests", requests())
		}
	}
	stop()
	if len(evs) != 0 {
		t.Errorf("events after a refused login: %d", len(evs))
	}
}

func TestSessionReportsAuth(t *testing.T) {
	sim := arisim.New(loadRecording(t, "01-extmedia-201-to-501-app-hangs-up"), "voipsdn", livePassword)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := ari.NewClient(ari.Config{Server: "pbx1", URL: srv.URL, Username: "voipsdn", Password: ami.NewSecret("bad")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Channels(context.Background())
	var he *ari.HTTPError
	if !errors.As(err, &he) || he.Status != 401 || strings.Contains(err.Error(), "bad") {
		t.Fatalf("want 401 without the password, got %v", err)
	}
}
