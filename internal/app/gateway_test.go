package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The wiring: with voip.gateway and FAUCET_EVENT_SOCK, a gateway user's
// AMI action reaches the PBX through voipsdn's session, and the event
// socket carries Faucet's CONFIG_CHANGE for the DP and VOIP_CALL records
// of a call.
func TestGatewayAndEventSocketWiring(t *testing.T) {
	sim := amisim.New(amisim.Options{Username: "voipsdn", Secret: "pbx", RTCPInterval: -1})
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sim.Serve(ctx, sln) })
	defer func() { cancel(); wg.Wait() }()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gw-secret"), []byte("wb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_PBX_SECRET", "pbx")
	gwPort := freePort(t)
	cfg := goodConfig + fmt.Sprintf(`voip:
  asterisk:
    pbx1: {host: 127.0.0.1, port: %d, username: voipsdn, secret_env: TEST_PBX_SECRET, auth: plain}
  gateway:
    listen: 127.0.0.1:%d
    users:
      wallboard: {secret_file: %s, servers: [pbx1]}
`, sln.Addr().(*net.TCPAddr).Port, gwPort, filepath.Join(dir, "gw-secret"))
	path := filepath.Join(dir, "faucet.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	sockPath := filepath.Join(dir, "faucet.sock")
	a, err := New(Options{ConfigPath: path, OFListen: "127.0.0.1:0", FaucetEventSock: sockPath})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var ev net.Conn
	waitFor(t, "the event socket", func() bool { ev, err = net.Dial("unix", sockPath); return err == nil })
	defer ev.Close()
	var gw net.Conn
	waitFor(t, "the gateway", func() bool { gw, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", gwPort)); return err == nil })
	defer gw.Close()
	rd := bufio.NewReader(gw)
	greeting, _ := rd.ReadString('\n')
	if !strings.HasPrefix(greeting, "Asterisk Call Manager/") {
		t.Fatalf("greeting %q", greeting)
	}
	fmt.Fprint(gw, "Action: Login\r\nUsername: wallboard\r\nSecret: wb\r\nEvents: off\r\n\r\nAction: CoreShowChannels\r\nActionID: x1\r\n\r\n")
	var got []string
	_ = gw.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) == 0 || !strings.Contains(got[len(got)-1], "CoreShowChannelsComplete") {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("gateway: %v after %q", err, got)
		}
		if line = strings.TrimSpace(line); line != "" {
			got = append(got, line)
		}
		if strings.Contains(line, "not connected") { // voipsdn not logged in to the PBX yet: ask again
			time.Sleep(50 * time.Millisecond)
			fmt.Fprint(gw, "Action: CoreShowChannels\r\nActionID: x1\r\n\r\n")
		}
	}
	if !strings.Contains(strings.Join(got, "\n"), "Message: Authentication accepted") {
		t.Fatalf("gateway conversation: %q", got)
	}

	if _, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	_ = ev.SetReadDeadline(time.Now().Add(10 * time.Second))
	sc := bufio.NewScanner(ev)
	var sawConfig, sawCall bool
	for !(sawConfig && sawCall) && sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if c, ok := r["CONFIG_CHANGE"].(map[string]any); ok && r["dp_name"] == "sw1" && c["restart_type"] == "new" {
			sawConfig = true
		}
		if c, ok := r["VOIP_CALL"].(map[string]any); ok && c["event"] == "start" && c["server"] == "pbx1" {
			sawCall = true
		}
	}
	if !sawConfig || !sawCall {
		t.Fatalf("event socket: config change %v, call start %v (%v)", sawConfig, sawCall, sc.Err())
	}
}
