// Command arisim runs the ARI simulator (package ari/arisim): an HTTP
// server that answers voipsdn's ARI requests and, once a client has
// opened the events WebSocket, replays a recording of a real Asterisk
// (ari/testdata/captures/NAME.ari.jsonl) with its recorded timing.
//
//	arisim --listen 127.0.0.1:8088 --user voipsdn --password-env ARI_PW \
//	    --recording ari/testdata/captures/01-extmedia-201-to-501-app-hangs-up.ari.jsonl
//
// --speed 10 plays ten times faster. SIGUSR1 drops every event client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/voipsdn/voipsdn/ari"
	"github.com/voipsdn/voipsdn/ari/arisim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run serves until ctx ends; ready, if not nil, gets the listening address.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) int {
	fs := flag.NewFlagSet("arisim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8088", "address to listen on")
	user := fs.String("user", "voipsdn", "ARI username")
	pwFile := fs.String("password-file", "", "file holding the ARI password")
	pwEnv := fs.String("password-env", "", "environment variable holding the ARI password")
	recording := fs.String("recording", "", "NAME.ari.jsonl recording to replay")
	speed := fs.Float64("speed", 1, "replay speed (1: as recorded)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	pw, err := ari.LoadPassword(*pwFile, *pwEnv)
	if err != nil || *recording == "" || *speed <= 0 {
		fmt.Fprintln(stderr, "arisim: need --recording, --speed > 0 and one of --password-file, --password-env:", err)
		return 2
	}
	rec, err := arisim.Load(*recording)
	if err != nil {
		fmt.Fprintln(stderr, "arisim:", err)
		return 1
	}
	sim := arisim.New(rec, *user, pw.Reveal())
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "arisim:", err)
		return 1
	}
	// Taken before the server accepts anything: a client that connects
	// the moment the address is out must still start the replay.
	joined := sim.Joined()
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("arisim listening", "addr", ln.Addr().String(), "recording", *recording, "frames", sim.Len())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)

	play := func() {
		select {
		case <-joined:
		case <-ctx.Done():
			return
		}
		log.Info("client connected: replaying")
		start := time.Now()
		for i := 0; i < sim.Len(); i++ {
			at := start.Add(time.Duration(rec.Frames[i].T / *speed * float64(time.Second)))
			t := time.NewTimer(time.Until(at))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-usr1:
				t.Stop()
				sim.Drop()
				i--
				continue
			case <-t.C:
			}
			sim.Play(1)
		}
		log.Info("recording played", "frames", sim.Len())
	}
	play()
	<-ctx.Done()
	sim.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "arisim:", err)
		return 1
	}
	return 0
}
