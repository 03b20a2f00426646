package metrics

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestListenAddr(t *testing.T) {
	tests := []struct {
		flag    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{want: ":9302"},
		{env: map[string]string{EnvAddr: "0.0.0.0"}, want: ":9302"},
		{env: map[string]string{EnvAddr: "127.0.0.1", EnvPort: "9999"}, want: "127.0.0.1:9999"},
		{env: map[string]string{EnvAddr: "::1"}, want: "[::1]:9302"},
		{flag: "127.0.0.1:1234", env: map[string]string{EnvPort: "9999"}, want: "127.0.0.1:1234"},
		{env: map[string]string{EnvPort: "http"}, wantErr: true},
		{env: map[string]string{EnvPort: "70000"}, wantErr: true},
		{flag: "nocolon", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ListenAddr(tc.flag, func(k string) string { return tc.env[k] })
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ListenAddr(%q, %v) = %q, %v; want %q, error %v", tc.flag, tc.env, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestServeServesMetricsAndStops(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := Register(reg, Options{DPs: StaticDPs{testDP()}, Config: StaticConfig{}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Serve(ctx, ln, reg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`dp_status{dp_id="0x1",dp_name="sw1"} 1`, "process_cpu_seconds_total", "go_goroutines", `faucet_pbr_version{version="dev"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
}
