package controller

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

const captureFile = "testdata/ovs-session.bin"

// TestOVSCapture records what Open vSwitch sends during a session that
// installs sampleFlows and dumps them back, through a proxy between OVS
// and the server. With VOIPSDN_CAPTURE=1 it rewrites captureFile, which
// TestReplayOVSCapture decodes without OVS.
func TestOVSCapture(t *testing.T) {
	lab := ovslab.New(t)
	rec := newRecorder()
	srv := &Server{Handler: rec}
	addr, _ := testServer(t, srv, "")

	var mu sync.Mutex
	var fromSwitch bytes.Buffer
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var conns []net.Conn
	t.Cleanup(func() {
		pl.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		sc, err := pl.Accept()
		if err != nil {
			return
		}
		defer sc.Close()
		cc, err := net.Dial("tcp", addr.String())
		if err != nil {
			return
		}
		defer cc.Close()
		mu.Lock()
		conns = append(conns, sc, cc)
		mu.Unlock()
		wg.Go(func() { io.Copy(sc, cc); sc.Close() })
		buf := make([]byte, 64<<10)
		for {
			n, err := sc.Read(buf)
			mu.Lock()
			fromSwitch.Write(buf[:n])
			mu.Unlock()
			if _, werr := cc.Write(buf[:n]); err != nil || werr != nil {
				cc.Close()
				return
			}
		}
	})
	if _, err := lab.AddBridge("br0", dpid1, ovslab.WithController("tcp:"+pl.Addr().String())); err != nil {
		t.Fatal(err)
	}
	sw := rec.sw(t, 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs := []of13.Message{sampleMeter(), sampleGroup()}
	for _, f := range sampleFlows() {
		msgs = append(msgs, of13.AddFlow(f))
	}
	// A bad flow-mod, so the capture holds a real error message.
	msgs = append(msgs, of13.AddFlow(of13.Flow{Priority: 11, Match: of13.NewMatch(of13.AddrField(of13.FieldIPv4Src, netipAddr("10.0.0.1")))}))
	if err := sw.SendAndConfirm(ctx, msgs...); err == nil || !strings.Contains(err.Error(), "BAD_PREREQ") {
		t.Fatalf("barrier: %v", err)
	}
	got, err := sw.Flows(ctx, of13.TableAll, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	assertSameFlows(t, "through the proxy", sampleFlows(), got)
	for _, f := range []func(context.Context) error{
		func(ctx context.Context) error { _, err := sw.DumpMeters(ctx); return err },
		func(ctx context.Context) error { _, err := sw.DumpGroups(ctx); return err },
		func(ctx context.Context) error { _, err := sw.Desc(ctx); return err },
	} {
		if err := f(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getenv("VOIPSDN_CAPTURE") != "" {
		mu.Lock()
		defer mu.Unlock()
		if err := os.WriteFile(captureFile, fromSwitch.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d bytes to %s", fromSwitch.Len(), captureFile)
	}
}
