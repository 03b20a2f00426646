package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultPort is Faucet's Prometheus port (FAUCET_PROMETHEUS_PORT).
const DefaultPort = 9302

// Environment variables Faucet reads for its exporter's address.
const (
	EnvAddr = "FAUCET_PROMETHEUS_ADDR"
	EnvPort = "FAUCET_PROMETHEUS_PORT"
)

// ListenAddr decides where /metrics listens: flagAddr if set (host:port),
// otherwise FAUCET_PROMETHEUS_ADDR and FAUCET_PROMETHEUS_PORT as Faucet
// reads them, defaulting to all interfaces and port 9302. getenv is
// os.Getenv in production.
func ListenAddr(flagAddr string, getenv func(string) string) (string, error) {
	if flagAddr != "" {
		if _, _, err := net.SplitHostPort(flagAddr); err != nil {
			return "", fmt.Errorf("metrics: listen address %q: %w", flagAddr, err)
		}
		return flagAddr, nil
	}
	host := getenv(EnvAddr)
	if host == "0.0.0.0" {
		host = "" // Faucet's default; "" also listens on IPv6
	}
	port := DefaultPort
	if s := getenv(EnvPort); s != "" {
		p, err := strconv.Atoi(s)
		if err != nil || p < 0 || p > 65535 {
			return "", fmt.Errorf("metrics: %s=%q is not a port number", EnvPort, s)
		}
		port = p
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// Handler serves g in the Prometheus exposition format. A collector that
// fails does not fail the scrape; its error is logged.
func Handler(g prometheus.Gatherer, logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:            slogPrinter{logger},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Warn("metrics: scrape", "error", fmt.Sprint(v...)) }

// Serve serves /metrics (and / with a pointer to it) on ln until ctx ends,
// then shuts the server down. It returns nil after a shutdown caused by ctx.
func Serve(ctx context.Context, ln net.Listener, g prometheus.Gatherer, logger *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler(g, logger))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "voipsdn: metrics at /metrics")
	})
	// Idle keep-alive connections and slow headers are bounded, so that
	// clients cannot pile connections up.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 60 * time.Second, MaxHeaderBytes: 64 << 10}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	logger.Info("metrics: serving", "addr", ln.Addr().String())
	err := srv.Serve(ln)
	cancel() // on a listener error, stop the shutdown goroutine too
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("metrics: serve %s: %w", ln.Addr(), err)
}
