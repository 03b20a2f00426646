package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles creates files (name -> content) in a temp dir and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const dpsOnly = `
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, acls_in: [allow-all]}
`

func TestIncludeRelativeToIncludingFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.yaml":      "include: [sub/vlans.yaml]\n" + dpsOnly,
		"sub/vlans.yaml": "include: [acls.yaml]\nvlans: {office: {vid: 100}}\n",
		"sub/acls.yaml":  "acls: {allow-all: [{rule: {actions: {allow: 1}}}]}\n",
	})
	cfg, err := LoadFile(filepath.Join(dir, "main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Files) != 3 {
		t.Errorf("files = %v, want main, sub/vlans, sub/acls", cfg.Files)
	}
	if cfg.DP("sw1").Port(1).ACLsIn[0].Name != "allow-all" {
		t.Error("ACL from nested include not applied")
	}
}

func TestIncludeLoop(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.yaml": "include: [a.yaml]\n" + dpsOnly,
		"a.yaml":    "include: [b.yaml]\nvlans: {office: {vid: 100}}\n",
		"b.yaml":    "include: [a.yaml]\nacls: {allow-all: [{rule: {actions: {allow: 1}}}]}\n",
	})
	_, err := LoadFile(filepath.Join(dir, "main.yaml"))
	if err == nil || !strings.Contains(err.Error(), "include loop") {
		t.Fatalf("want include loop error, got %v", err)
	}
	if !strings.Contains(err.Error(), "b.yaml:1:11: include[0]: include loop") {
		t.Errorf("loop error should point at the include entry in b.yaml: %v", err)
	}
}

func TestIncludeSelf(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.yaml": "include: [main.yaml]\n" + dpsOnly})
	if _, err := LoadFile(filepath.Join(dir, "main.yaml")); err == nil || !strings.Contains(err.Error(), "include loop") {
		t.Fatalf("want include loop error, got %v", err)
	}
}

func TestIncludeOptional(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.yaml":  "include: [vlans.yaml]\ninclude-optional: [missing.yaml, acls.yaml]\n" + dpsOnly,
		"vlans.yaml": "vlans: {office: {vid: 100}}\n",
		"acls.yaml":  "acls: {allow-all: [{rule: {actions: {allow: 1}}}]}\n",
	})
	src, err := Load(filepath.Join(dir, "main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Missing) != 1 || filepath.Base(src.Missing[0]) != "missing.yaml" {
		t.Errorf("missing = %v, want missing.yaml (watched for creation)", src.Missing)
	}
	if len(src.Warnings) != 1 || !strings.Contains(src.Warnings[0].Msg, "not found, skipped") {
		t.Errorf("warnings = %v", src.Warnings)
	}
	if _, err := LoadFile(filepath.Join(dir, "main.yaml")); err != nil {
		t.Errorf("missing optional include must be skipped: %v", err)
	}
}

func TestIncludeRequiredMissing(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.yaml": "include: [nosuch.yaml]\n" + dpsOnly})
	_, err := LoadFile(filepath.Join(dir, "main.yaml"))
	if err == nil || !strings.Contains(err.Error(), "main.yaml:1:11: include[0]: cannot read") {
		t.Fatalf("want unreadable include error at the include entry, got %v", err)
	}
}

func TestIncludeLaterFileWins(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.yaml":     "include: [override.yaml]\nvlans: {office: {vid: 100}}\nacls: {allow-all: [{rule: {actions: {allow: 1}}}]}\n" + dpsOnly,
		"override.yaml": "vlans: {office: {vid: 300}}\n",
	})
	cfg, err := LoadFile(filepath.Join(dir, "main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.DP("sw1").Port(1).NativeVLAN.VID; got != 300 {
		t.Errorf("office VID = %d, want 300 from the included file (dict.update semantics)", got)
	}
}

func TestFileProblems(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"latin1.yaml": "dps: {sw\xe9: {}}\n",
		"empty.yaml":  "# nothing\n",
		"list.yaml":   "- a\n- b\n",
	})
	cases := map[string]string{
		"latin1.yaml": "latin1.yaml:1:9: file is not valid UTF-8",
		"empty.yaml":  "empty.yaml: config file is empty",
		"list.yaml":   "list.yaml:1:1: config file must be a mapping",
		"nosuch.yaml": "cannot read",
		"/":           "cannot read",
	}
	for name, want := range cases {
		p := filepath.Join(dir, name)
		if strings.HasPrefix(name, "/") {
			p = dir // a directory is unreadable as a file
		}
		_, err := LoadFile(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q, got %v", name, want, err)
		}
	}
}

func TestByteOrderMarkAndCRLF(t *testing.T) {
	if _, err := LoadFileBytes("bom.yaml", []byte("\ufeff"+minimal)); err != nil {
		t.Errorf("UTF-8 BOM: %v", err)
	}
	if _, err := LoadFileBytes("crlf.yaml", []byte(strings.ReplaceAll(minimal, "\n", "\r\n"))); err != nil {
		t.Errorf("CRLF line ends: %v", err)
	}
}

func TestYAMLFeatures(t *testing.T) {
	cfg := mustLoad(t, `
vlans:
  office: &v {vid: 100, max_hosts: 10}
  guest:
    <<: *v
    vid: 200
dps:
  sw1:
    dp_id: 1
    description: !!str 12
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
`)
	dp := cfg.DP("sw1")
	if dp.Description != "12" {
		t.Errorf("!!str description = %q", dp.Description)
	}
	if g := dp.VLAN(200); g == nil || g.MaxHosts != 10 {
		t.Errorf("merge key not applied: %+v", g)
	}
}
