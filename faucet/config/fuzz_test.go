package config

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes through load, parse, validate, diff and
// JSON encoding: nothing may panic, and a rejected config must come with
// at least one located error. The seed corpus (the snippets below, our
// examples and our configs in testdata/fuzz/FuzzParse) runs as an
// ordinary test; `make fuzz` fuzzes it for a bounded time.
func FuzzParse(f *testing.F) {
	seeds := [][]byte{
		[]byte(minimal),
		[]byte(diffBase),
		[]byte("vlans: {v: {vid: 1}}\ndps: {s: {dp_id: 1, interface_ranges: {1-3: {native_vlan: v}}}}\n"),
		[]byte("a: &x [*x]\n"),
		[]byte("? [a]\n: b\n"),
		[]byte("dps: !!map {a: !!int '1'}\n"),
		[]byte("acls: {a: [{rule: {nw_dst: 10.0.0.0/8, actions: {output: [{port: 1}, {set_fields: [{eth_src: 1}]}]}}}]}\n"),
		[]byte("include: [x.yaml]\ninclude-optional: [y.yaml]\n"),
		{0xff, 0xfe, 0x00},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		src, err := loadWith(name, func(p string) ([]byte, error) {
			if p == name {
				return data, nil
			}
			return nil, fs.ErrNotExist
		})
		if err != nil {
			checkLocated(t, err)
			return
		}
		cfg, err := build(src)
		if err != nil {
			checkLocated(t, err)
			return
		}
		_ = cfg.Unsupported()
		if d := Diff(cfg, cfg); !d.Empty() {
			t.Fatalf("config differs from itself: %+v", d)
		}
		if _, err := json.Marshal(cfg); err != nil {
			t.Fatalf("valid config does not encode: %v", err)
		}
	})
}

func checkLocated(t *testing.T, err error) {
	t.Helper()
	var errs Errors
	if !asErrors(err, &errs) || len(errs) == 0 {
		t.Fatalf("error is not a non-empty Errors: %v", err)
	}
	for _, e := range errs {
		if e.Pos.File == "" || e.Msg == "" {
			t.Fatalf("error without file or message: %#v", e)
		}
	}
}
