package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	dpctl "github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
)

// flowsCmd prints one DP's compiled program offline, exactly what run
// installs when the switch connects (before any host is learned), in
// ovs-ofctl syntax:
// the table layout as comments, then meters and groups (flows refer to
// them), then the flows sorted by table and descending priority. The
// output can be fed to ovs-ofctl -O OpenFlow13 add-meter/add-group/add-flows.
func flowsCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("voipsdn flows", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "Faucet configuration file (required)")
	dpName := fs.String("dp", "", "DP name (may be omitted when the file has one DP)")
	owners := fs.Bool("owners", false, "group flows by owner key instead of one sorted list")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: voipsdn flows --config FILE [--dp NAME] [--owners]")
		return 2
	}
	cfg, err := config.LoadFile(*file)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn flows: %v\n", err)
		return 1
	}
	dp, err := pickDP(cfg, *dpName)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn flows: %s: %v\n", *file, err)
		return 1
	}
	// The same compilation run installs, standing voice flows included.
	prog, err := dpctl.Compile(cfg, dp)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn flows: %s: %v\n", *file, err)
		return 1
	}
	writeProgram(stdout, dp, prog, *owners)
	return 0
}

// pickDP finds the named DP, or the only one when name is empty.
func pickDP(cfg *config.Config, name string) (*config.DP, error) {
	names := make([]string, 0, len(cfg.DPs))
	for _, dp := range cfg.DPs {
		names = append(names, dp.Name)
	}
	switch {
	case name != "":
		for _, dp := range cfg.DPs {
			if dp.Name == name {
				return dp, nil
			}
		}
		return nil, fmt.Errorf("no dp %q (have: %s)", name, strings.Join(names, ", "))
	case len(cfg.DPs) == 1:
		return cfg.DPs[0], nil
	}
	return nil, fmt.Errorf("--dp is required: the configuration has %d DPs (%s)", len(cfg.DPs), strings.Join(names, ", "))
}

func writeProgram(w io.Writer, dp *config.DP, p *pipeline.Program, byOwner bool) {
	all := p.AllFlows()
	fmt.Fprintf(w, "# dp %s (dp_id 0x%x): %d tables, %d flows, %d meters, %d groups\n",
		dp.Name, dp.ID, p.Tables.Len(), len(all), len(p.Meters), len(p.Groups))
	for _, line := range strings.Split(strings.TrimSuffix(p.Tables.String(), "\n"), "\n") {
		fmt.Fprintf(w, "# %s\n", line)
	}
	if len(p.Meters) > 0 {
		fmt.Fprintln(w, "# meters")
		for i := range p.Meters {
			fmt.Fprintln(w, p.Meters[i].String())
		}
	}
	if len(p.Groups) > 0 {
		fmt.Fprintln(w, "# groups")
		for i := range p.Groups {
			fmt.Fprintln(w, p.Groups[i].String())
		}
	}
	if byOwner {
		for _, owner := range p.Owners() {
			fmt.Fprintf(w, "# owner %s\n", owner)
			for _, f := range p.Flows[owner] {
				fmt.Fprintln(w, f.String())
			}
		}
		return
	}
	fmt.Fprintln(w, "# flows")
	for i := range all {
		fmt.Fprintln(w, all[i].String())
	}
}
