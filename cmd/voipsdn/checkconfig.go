package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
)

// checkConfigCmd validates Faucet configuration files like Faucet's
// check_faucet_config: for valid files it prints the normalised config
// (defaults filled in) as JSON and exits 0; otherwise it prints every
// error, one per line as file:line:col: path: message, and exits 1.
// Features that `run` cannot program yet are noted on stderr; they do not
// make the file invalid.
func checkConfigCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quiet := fs.Bool("q", false, "print nothing for valid files (exit status only)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: voipsdn check-config [-q] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	status := 0
	valid := map[string]any{}
	for _, f := range files {
		cfg, err := config.LoadFile(f)
		if err != nil {
			status = 1
			var errs config.Errors
			if errors.As(err, &errs) {
				for _, e := range errs {
					fmt.Fprintln(stderr, e.Error())
				}
			} else {
				fmt.Fprintf(stderr, "%s: %v\n", f, err)
			}
			continue
		}
		for _, w := range cfg.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w.Error())
		}
		unsupported := cfg.Unsupported()
		for _, u := range unsupported {
			fmt.Fprintf(stderr, "note: %s (voipsdn run will refuse this config)\n", u.Error())
		}
		if len(unsupported) == 0 {
			// What Faucet accepts but a switch would refuse (an ACL
			// match without its OpenFlow prerequisite) fails the
			// pipeline compile; say so here rather than at run time.
			for _, err := range compileErrors(cfg) {
				fmt.Fprintf(stderr, "note: %s (voipsdn run will refuse this config)\n", err)
			}
		}
		valid[f] = normalised{Version: 2, Config: cfg}
	}
	if *quiet || len(valid) == 0 {
		return status
	}
	var out any = valid
	if len(files) == 1 {
		out = valid[files[0]]
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "voipsdn check-config: writing output: %v\n", err)
		return 1
	}
	return status
}

// compileErrors compiles each DP's pipeline as `run` would and returns the
// errors.
func compileErrors(cfg *config.Config) []error {
	var errs []error
	for _, d := range cfg.DPs {
		if _, err := pipeline.Compile(d, nil, pipeline.OptionsFor(cfg, d)...); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// normalised is the printed form: the config with its version.
type normalised struct {
	Version int `json:"version"`
	*config.Config
}
