package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/calltest"
)

// Exit codes of `voipsdn call test`.
const (
	callExitOK      = 0 // the call got its QoS end to end
	callExitNotOK   = 1 // placed, but not OK: the verdict says why
	callExitUsage   = 2
	callExitNoCheck = 3 // the test could not be run (controller, PBX, credentials)
)

func callCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(stderr, "usage: voipsdn call test --pbx NAME --from CHANNEL --to EXTEN [--duration 10s] [--config faucet.yaml | --controller URL] [--json]")
		return callExitUsage
	}
	return callTest(ctx, args[1:], stdout, stderr)
}

func callTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("voipsdn call test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pbx := fs.String("pbx", "", "the PBX (voip.asterisk name)")
	from := fs.String("from", "", "the channel to originate, e.g. PJSIP/201")
	to := fs.String("to", "", "the extension it then dials")
	dialCtx := fs.String("context", "", "the dialplan context of --to (default: default)")
	dur := fs.Duration("duration", 10*time.Second, "how long to hold the call once answered")
	cfgPath := fs.String("config", "", "the controller's configuration: its voip.gateway.http_listen is called")
	base := fs.String("controller", "", "the gateway HTTP API's URL, e.g. http://127.0.0.1:8088")
	user := fs.String("user", "", "gateway user (basic auth; needs the Originate grant)")
	secretFile := fs.String("secret-file", "", "file holding the user's secret (else $VOIPSDN_GATEWAY_SECRET)")
	tokenFile := fs.String("token-file", "", "file holding a bearer token, instead of --user")
	asJSON := fs.Bool("json", false, "print the verdict as JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return callExitUsage
	}
	if len(pos) != 0 || *pbx == "" || *from == "" || *to == "" || (*cfgPath == "") == (*base == "") {
		fmt.Fprintln(stderr, "voipsdn call test: need --pbx, --from, --to and one of --config or --controller")
		return callExitUsage
	}
	if *base == "" {
		if *base, err = gatewayURL(*cfgPath); err != nil {
			fmt.Fprintf(stderr, "voipsdn call test: %v\n", err)
			return callExitUsage
		}
	}
	auth, err := gatewayAuth(*user, *secretFile, *tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn call test: %v\n", err)
		return callExitUsage
	}
	body, _ := json.Marshal(calltest.HTTPRequest{From: *from, To: *to, Context: *dialCtx, Duration: dur.String()})
	u := strings.TrimRight(*base, "/") + "/v1/pbx/" + url.PathEscape(*pbx) + "/calltest"
	ctx, cancel := context.WithTimeout(ctx, *dur+2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn call test: %v\n", err)
		return callExitUsage
	}
	req.Header.Set("Content-Type", "application/json")
	auth(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn call test: %v\n", err)
		return callExitNoCheck
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "voipsdn call test: %s: %s\n", resp.Status, strings.TrimSpace(string(raw)))
		return callExitNoCheck
	}
	var v calltest.Verdict
	if err := json.Unmarshal(raw, &v); err != nil {
		fmt.Fprintf(stderr, "voipsdn call test: bad verdict: %v\n", err)
		return callExitNoCheck
	}
	if *asJSON {
		stdout.Write(append(bytes.TrimSpace(raw), '\n')) //nolint:errcheck
	} else {
		v.WriteText(stdout)
	}
	if !v.OK {
		return callExitNotOK
	}
	return callExitOK
}

// gatewayURL finds the gateway's HTTP API in a configuration file.
func gatewayURL(path string) (string, error) {
	cfg, err := config.LoadFile(path)
	if err != nil {
		return "", err
	}
	if cfg.VoIP == nil || cfg.VoIP.Gateway == nil || cfg.VoIP.Gateway.HTTPListen == "" {
		return "", fmt.Errorf("%s: no voip.gateway.http_listen", path)
	}
	g := cfg.VoIP.Gateway
	host, port, err := net.SplitHostPort(g.HTTPListen)
	if err != nil {
		return "", fmt.Errorf("voip.gateway.http_listen: %w", err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	scheme := "http"
	if g.TLSCertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port), nil
}

// gatewayAuth returns what authenticates the request: a bearer token, or
// a user and secret; secrets are read from files or the environment,
// never taken on the command line.
func gatewayAuth(user, secretFile, tokenFile string) (func(*http.Request), error) {
	read := func(p string) (string, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	switch {
	case tokenFile != "":
		tok, err := read(tokenFile)
		if err != nil {
			return nil, err
		}
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, nil
	case user != "":
		secret := os.Getenv("VOIPSDN_GATEWAY_SECRET")
		if secretFile != "" {
			s, err := read(secretFile)
			if err != nil {
				return nil, err
			}
			secret = s
		}
		if secret == "" {
			return nil, errors.New("--user needs --secret-file or $VOIPSDN_GATEWAY_SECRET")
		}
		return func(r *http.Request) { r.SetBasicAuth(user, secret) }, nil
	}
	return nil, errors.New("need --user (with --secret-file) or --token-file")
}
