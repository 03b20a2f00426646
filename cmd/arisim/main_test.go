package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ari"
	"github.com/voipsdn/voipsdn/call"
)

// TestRunReplaysToSource: the command serves a recording; a Source that
// connects sees its calls through to their end.
func TestRunReplaysToSource(t *testing.T) {
	t.Setenv("ARISIM_TEST_PW", "pw")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--password-env", "ARISIM_TEST_PW", "--speed", "50",
			"--recording", "../../ari/testdata/captures/02-extmedia-201-to-501-caller-hangs-up.ari.jsonl"}, io.Discard, ready)
	}()
	addr := <-ready
	src, err := ari.NewSource(ari.Config{Server: "pbx", URL: "http://" + addr, Username: "voipsdn",
		Password: ami.NewSecret("pw"), SubscribeAll: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(ctx)
	evs := make(chan call.Event, 256)
	srcDone := make(chan error, 1)
	go func() { srcDone <- src.Run(sctx, func(e call.Event) { evs <- e }) }()
	ended := map[string]bool{}
	deadline := time.After(20 * time.Second)
	for len(ended) < 2 {
		select {
		case e := <-evs:
			if c, ok := e.(call.CallEnded); ok {
				ended[c.Call] = true
			}
		case <-deadline:
			t.Fatalf("calls ended: %v", ended)
		}
	}
	if !ended["1796624920.2"] || !ended["1796624920.3"] {
		t.Errorf("ended %v", ended)
	}
	scancel()
	<-srcDone
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}
