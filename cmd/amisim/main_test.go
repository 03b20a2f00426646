package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
)

// TestBenchSmall runs the load tool briefly: every call must reach the
// tracker with its media and nothing may be dropped.
func TestBenchSmall(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"--bench", "--rate", "100", "--duration", "300ms",
		"--hold", "1s", "--answer-after", "10ms", "--rtcp-interval", "200ms"}, &out, io.Discard)
	if code != 0 || !strings.Contains(out.String(), "RESULT: OK") || !strings.Contains(out.String(), "calls placed 30,") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

func TestFlags(t *testing.T) {
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"--nope"}, io.Discard, &errb); code != 2 {
		t.Fatalf("bad flag: exit %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errb.Reset()
	if code := run(ctx, []string{"--listen", "127.0.0.1:0"}, io.Discard, &errb); code != 1 || !strings.Contains(errb.String(), "--secret") {
		t.Fatalf("missing secret: exit %d, %s", code, errb.String())
	}
	if code := run(ctx, []string{"--listen", "127.0.0.1:0", "--secret", "x", "--script", "/nonexistent.json"}, io.Discard, &errb); code != 1 {
		t.Fatalf("missing script: exit %d", code)
	}
}

// TestAGIMode runs "amisim agi" against a scripted FastAGI server that
// answers like voipsdn's (one SET VARIABLE, then its close).
func TestAGIMode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	envs := make(chan string, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(c)
			var env strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == "\n" {
					break
				}
				env.WriteString(l)
			}
			envs <- env.String()
			c.Write([]byte("SET VARIABLE VOIPSDN_QOS emergency\n"))
			r.ReadString('\n')
			c.(*net.TCPConn).CloseWrite()
			io.ReadAll(r)
			c.Close()
		}
	}()
	var out bytes.Buffer
	code := run(context.Background(), []string{"agi", "--connect", ln.Addr().String(), "--recording",
		"../../agi/testdata/captures/01-fastagi-403-before-answer.from-asterisk", "--script", "qos?class=bulk", "--count", "2"}, &out, io.Discard)
	if code != 0 || strings.Count(out.String(), "VOIPSDN_QOS=emergency, server closed: true") != 2 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	env := <-envs
	for _, want := range []string{"agi_network_script: qos?class=bulk\n", "agi_request: agi://10.0.100.204:4573/qos?class=bulk\n", "agi_uniqueid: 1796624768.6.0\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %q:\n%s", want, env)
		}
	}
}
