package config

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestChunkedParseMatchesWholeParse checks that the chunked parse of a big
// file gives the same config and the same error positions as parsing the
// whole file at once.
func TestChunkedParseMatchesWholeParse(t *testing.T) {
	data := genVLANs(600, false)
	if len(data) < chunkMinBytes {
		t.Fatalf("test input too small (%d bytes) to be chunked", len(data))
	}
	chunked, ok := parseChunked("big.yaml", data)
	if !ok {
		t.Fatal("big plain file was not chunked")
	}
	c := converter{file: "big.yaml", anchors: map[string]*node{}}
	f, err := parseBytesSafe(data)
	if err != nil {
		t.Fatal(err)
	}
	whole := c.convert(f.Docs[0].Body, 0)
	if !sameTree(chunked, whole) {
		t.Fatal("chunked and whole-file parse differ")
	}

	// An error deep in a later chunk keeps its true line number.
	bad := bytes.Replace(data, []byte("vlan550: {vid: 550,"), []byte("vlan550: {vid: 5500,"), 1)
	line := 1 + strings.Count(string(bad[:bytes.Index(bad, []byte("vid: 5500"))]), "\n")
	_, err = LoadFileBytes("big.yaml", bad)
	want := fmt.Sprintf("big.yaml:%d:", line)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "invalid VID 5500") {
		t.Errorf("want error at %s, got %v", want, err)
	}

	// A key repeated across chunks is still a duplicate-key error.
	dup := bytes.Replace(data, []byte("dps:\n"), []byte("  vlan7: {vid: 4000}\ndps:\n"), 1)
	if _, err := LoadFileBytes("dup.yaml", dup); err == nil || !strings.Contains(err.Error(), `duplicate key "vlan7"`) {
		t.Error("duplicate VLAN key across chunks accepted")
	}
}

func sameTree(a, b *node) bool {
	if a.kind != b.kind || a.line != b.line || a.col != b.col || a.s != b.s || a.i != b.i || a.b != b.b ||
		len(a.keys) != len(b.keys) || len(a.seq) != len(b.seq) {
		return false
	}
	for i := range a.keys {
		if !sameTree(a.keys[i], b.keys[i]) || !sameTree(a.vals[i], b.vals[i]) {
			return false
		}
	}
	for i := range a.seq {
		if !sameTree(a.seq[i], b.seq[i]) {
			return false
		}
	}
	return true
}
