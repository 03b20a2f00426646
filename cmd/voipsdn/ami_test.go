package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAMIReplayCommand(t *testing.T) {
	// The repository's copy of the real Asterisk recordings.
	dir := filepath.Join("..", "..", "ami", "testdata", "captures")
	capture := filepath.Join(dir, "05-call-201-to-404-busy-486.txt")
	if _, err := os.Stat(capture); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := amiCmd(context.Background(), []string{"replay", capture,
		"--sent", filepath.Join(dir, "sent", "05-call-201-to-404-busy-486.sent")}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last["type"] != "call_ended" || last["dial_status"] != "BUSY" || last["cause"] != 17.0 ||
		last["call"] != "1795502037.5" || !strings.HasPrefix(last["timestamp"].(string), "2026-11-24T06:33:") {
		t.Fatalf("last record %v", last)
	}
}

func TestAMICommandUsage(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{nil, {"nope"}, {"replay"}, {"watch", "--host", "h"}} {
		errb.Reset()
		if code := amiCmd(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
	// watch refuses to start without a secret and names the problem.
	errb.Reset()
	amiCmd(context.Background(), []string{"watch", "--host", "h", "--username", "u"}, &out, &errb)
	if !strings.Contains(errb.String(), "secret") {
		t.Errorf("no secret: %s", errb.String())
	}
}
