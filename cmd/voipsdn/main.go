// Command voipsdn is an OpenFlow 1.3 SDN controller for networks that carry
// voice. It reads Faucet-style configuration, programs Faucet's pipeline and
// follows Asterisk calls over AMI to give their media priority.
//
// main only parses the subcommand and hands over to it; each subcommand lives
// in its own file.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one voipsdn subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands. It is built per call, not held in a
// package variable, so tests can run main's logic concurrently.
func commands() map[string]command {
	return map[string]command{
		"run":          {"run the controller", runCmd},
		"check-config": {"validate Faucet configuration files (drop-in for check_faucet_config)", checkConfigCmd},
		"flows":        {"print the compiled flows of one DP in ovs-ofctl syntax", flowsCmd},
		"ami":          {"AMI tools: replay a capture, watch a live server", amiCmd},
		"call":         {"test call through a PBX: did it get its QoS (call test)", callCmd},
		"dashboards":   {"push the Grafana datasource and dashboards", dashboardsCmd},
		"version":      {"print the version", versionCmd},
		"cluster":      {"controller team: status, drain, undrain (through etcd)", clusterCmd},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "voipsdn: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: voipsdn <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, cmds[n].summary)
	}
}
