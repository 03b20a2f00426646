package main

import (
	"bytes"
	"context"
	"io"
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
