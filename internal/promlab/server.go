package promlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Options configures Start.
type Options struct {
	Targets []string // host:port scraped at /metrics
	Job     string   // job name; default "faucet"
	// Interval is the scrape and rule evaluation interval; default 1s.
	Interval time.Duration
	// RuleFiles are copied into the server's directory and loaded.
	RuleFiles []string
	Binary    string // default /usr/bin/prometheus, then PATH
}

// Server is a running Prometheus.
type Server struct {
	URL  string // http://127.0.0.1:port
	dir  string
	http *http.Client
}

// Binary finds the prometheus executable.
func Binary() (string, error) {
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus", nil
	}
	return exec.LookPath("prometheus")
}

// Start starts Prometheus for t and stops it when t ends. It returns once
// Prometheus answers /-/ready.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("promlab: prometheus not installed (CI=true, so this fails): %v", err)
			}
			t.Skipf("promlab: prometheus not installed: %v", err)
		}
	}
	if opts.Job == "" {
		opts.Job = "faucet"
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	dir := t.TempDir()
	cfg, err := writeConfig(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The port is found by binding :0 and closing it; another process can
	// take it in between, so a failed start is retried on a new port.
	var lastErr error
	for range 3 {
		s, err := start(t, bin, dir, cfg)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("promlab: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func start(t testing.TB, bin, dir, cfg string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(dir, "prometheus-"+strconv.Itoa(port)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cancel()
		<-exited
		logf.Close()
	}
	s := &Server{URL: "http://" + addr, dir: dir, http: &http.Client{Timeout: 10 * time.Second}}
	if err := s.waitReady(exited); err != nil {
		stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("prometheus on %s: %w\n%s", addr, err, log)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("promlab: prometheus log:\n%s", log)
		}
	})
	return s, nil
}

// waitReady polls /-/ready until Prometheus answers or exits.
func (s *Server) waitReady(exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before ready: %v", err)
		default:
		}
		resp, err := s.http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("not ready after 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeConfig(dir string, opts Options) (string, error) {
	var b strings.Builder
	iv := opts.Interval.String()
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", iv, iv, iv)
	if len(opts.RuleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for i, f := range opts.RuleFiles {
			data, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("promlab: rule file: %w", err)
			}
			name := fmt.Sprintf("rules-%d.yml", i)
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "  - %q\n", filepath.Join(dir, name))
		}
	}
	fmt.Fprintf(&b, "scrape_configs:\n  - job_name: %q\n    static_configs:\n      - targets: [", opts.Job)
	for i, tg := range opts.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", tg)
	}
	b.WriteString("]\n")
	path := filepath.Join(dir, "prometheus.yml")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}
