package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/voipsdn/voipsdn/dashboards"
	"github.com/voipsdn/voipsdn/dashboards/grafana"
)

// dashboardsCmd handles `voipsdn dashboards push`: it creates or updates the
// Prometheus datasource and every shipped dashboard (ours and Faucet's) in
// a Grafana, through its HTTP API. Credentials come from a file; they are
// never printed.
func dashboardsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "push" {
		fmt.Fprintln(stderr, "usage: voipsdn dashboards push --grafana-url URL (--token-file F | --basic-auth-file F) [flags]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("dashboards push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	grafanaURL := fs.String("grafana-url", "", "Grafana base URL, e.g. http://localhost:3000 (required)")
	tokenFile := fs.String("token-file", "", "file holding a Grafana service account token")
	basicFile := fs.String("basic-auth-file", "", "file holding user:password for Grafana basic auth")
	promURL := fs.String("prometheus-url", "http://localhost:9090", "Prometheus URL as the Grafana server reaches it")
	dsName := fs.String("datasource-name", "Prometheus (voipsdn)", "name of the datasource to create or update")
	isDefault := fs.Bool("default-datasource", true, "make the datasource Grafana's default")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit for the whole push")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *grafanaURL == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "voipsdn dashboards push: --grafana-url is required and no arguments are taken")
		return 2
	}
	auth, err := grafana.LoadAuth(*tokenFile, *basicFile)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn dashboards push: %v\n", err)
		return 2
	}
	api, err := grafana.NewClient(*grafanaURL, auth, nil)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn dashboards push: %v\n", err)
		return 2
	}
	boards, err := dashboards.All()
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn dashboards push: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	ds := grafana.Datasource{UID: dashboards.DatasourceUID, Name: *dsName, URL: *promURL, IsDefault: *isDefault}
	report, err := grafana.Push(ctx, api, ds, boards)
	printReport(stdout, ds, report)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn dashboards push: %v\n", err)
		return 1
	}
	return 0
}

func printReport(w io.Writer, ds grafana.Datasource, r grafana.Report) {
	verb := "updated"
	if r.DatasourceCreated {
		verb = "created"
	}
	fmt.Fprintf(w, "datasource %s (%s -> %s): %s\n", ds.UID, ds.Name, ds.URL, verb)
	for _, d := range r.Dashboards {
		fmt.Fprintf(w, "dashboard %s (%s): version %d\n", d.UID, d.Title, d.Version)
	}
}
