package ami

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretRedacted(t *testing.T) {
	s := NewSecret("hunter2")
	cfg := ServerConfig{Name: "pbx", Secret: s}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("x", "secret", s, "cfg", cfg)
	log.Info("y", slog.Any("s", s))
	js, _ := json.Marshal(cfg)
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x %d", s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), buf.String(), string(js),
		Message{Fields: []Field{{"Action", "Login"}, {"Secret", "hunter2"}}}.String(),
	}
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Fatal("Reveal")
	}
}

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "s")
	if err := os.WriteFile(f, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadSecret(f, ""); err != nil || s.Reveal() != "from-file" {
		t.Fatalf("file: %v", err)
	}
	t.Setenv("VOIPSDN_TEST_AMI_SECRET", "from-env")
	if s, err := LoadSecret("", "VOIPSDN_TEST_AMI_SECRET"); err != nil || s.Reveal() != "from-env" {
		t.Fatalf("env: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	_ = os.WriteFile(empty, []byte("\n"), 0o600)
	for _, c := range []struct{ file, env, want string }{
		{"", "", "no secret_file"},
		{f, "X", "not both"},
		{filepath.Join(dir, "missing"), "", "no such file"},
		{empty, "", "empty"},
		{"", "VOIPSDN_TEST_UNSET_VAR", "not set"},
	} {
		_, err := LoadSecret(c.file, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadSecret(%q, %q) = %v, want %q", c.file, c.env, err, c.want)
		}
	}
}

func TestConfigResolve(t *testing.T) {
	base := ServerConfig{Name: "pbx1", Host: "10.0.0.1", Username: "u", Secret: NewSecret("s")}
	c, err := base.Resolve()
	if err != nil || c.Auth != "md5" || c.Address() != "10.0.0.1:5038" || c.EventMask() != "on" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	tl := base
	tl.TLS = true
	if c, _ := tl.Resolve(); c.Address() != "10.0.0.1:5039" {
		t.Fatalf("tls port: %s", c.Address())
	}
	bad := []struct {
		mod  func(*ServerConfig)
		want string
	}{
		{func(c *ServerConfig) { c.Host = "" }, "host is required"},
		{func(c *ServerConfig) { c.Auth = "sha" }, `auth "sha"`},
		{func(c *ServerConfig) { c.Secret = Secret{} }, "no secret_file"},
		{func(c *ServerConfig) { c.TLSSkipVerify = true }, "need tls"},
		{func(c *ServerConfig) { c.Events = []string{"call,system"} }, "bad class"},
	}
	for _, b := range bad {
		c := base
		b.mod(&c)
		_, err := c.Resolve()
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), "voip.asterisk.pbx1") {
			t.Errorf("want %q, got %v", b.want, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Initial: 500e6, Max: 30e9, Factor: 2}
	if b.Delay(0) != 500e6 || b.Delay(1) != 1e9 || b.Delay(20) != 30e9 {
		t.Fatalf("delays %v %v %v", b.Delay(0), b.Delay(1), b.Delay(20))
	}
	if d := DefaultBackoff().Delay(0); d > 1e9 {
		t.Fatalf("first retry %v > 1s", d)
	}
}
