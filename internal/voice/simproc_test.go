package voice

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
)

// The memory benchmark must count the controller's heap alone, so its
// simulated PBX runs in a child process: this test binary run again with
// simProcEnv set, which makes TestAMISimProcess serve the simulator. The
// parent sends one JSON CallSpec per line on the child's stdin and reads
// back one JSON reply per line; closing stdin ends the child.

const simProcEnv = "VOIPSDN_AMISIM_PROCESS"

// simReply answers one placed call.
type simReply struct {
	ID  string `json:"id,omitempty"`
	Err string `json:"err,omitempty"`
}

// TestAMISimProcess is the child side; it is skipped in a normal run.
func TestAMISimProcess(t *testing.T) {
	if os.Getenv(simProcEnv) == "" {
		t.Skip("runs only as the simulator process of a benchmark")
	}
	sim := amisim.New(simOptions())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx, ln) }()
	fmt.Printf("listening %s\n", ln.Addr())
	in := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var spec amisim.CallSpec
		var r simReply
		if err := json.Unmarshal(in.Bytes(), &spec); err != nil {
			r.Err = err.Error()
		} else if r.ID, err = sim.PlaceCall(spec); err != nil {
			r.Err = err.Error()
		}
		if err := enc.Encode(r); err != nil {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// simOptions configure the simulated PBX of the lab, in or out of process.
func simOptions() amisim.Options {
	return amisim.Options{Username: "voipsdn", Secret: "s3cret",
		PBXAddr: netip.MustParseAddr("10.0.100.1"), RTPPortBase: 10000, RTCPInterval: -1}
}

// simProcess is the parent's handle on a simulator child.
type simProcess struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr netip.AddrPort
}

// startSimProcess starts the child and waits for its listening address. It
// is stopped when the test ends.
func startSimProcess(t testing.TB) *simProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestAMISimProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), simProcEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &simProcess{cmd: cmd, in: in, out: bufio.NewReader(stdout)}
	t.Cleanup(p.stop)
	line, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("simulator process: %v", err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		t.Fatalf("simulator process said %q", line)
	}
	if p.addr, err = netip.ParseAddrPort(addr); err != nil {
		t.Fatalf("simulator process: %v", err)
	}
	return p
}

// PlaceCall places a call in the child and returns its id.
func (p *simProcess) PlaceCall(spec amisim.CallSpec) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return "", fmt.Errorf("simulator process: %w", err)
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return "", fmt.Errorf("simulator process: %w", err)
	}
	var r simReply
	if err := json.Unmarshal(line, &r); err != nil {
		return "", fmt.Errorf("simulator process: %w", err)
	}
	if r.Err != "" {
		return "", errors.New(r.Err)
	}
	return r.ID, nil
}

// stop closes the child's stdin, which ends it, and waits for it; a child
// that does not end in time is killed.
func (p *simProcess) stop() {
	p.in.Close()
	go io.Copy(io.Discard, p.out) //nolint:errcheck // drain until exit
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}
