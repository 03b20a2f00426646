package ovslab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// OfctlRaw runs ovs-ofctl against this lab. "-O OpenFlow13" is added
// unless args choose a version (-O/--protocols). Any argument equal to a
// bridge's logical name is replaced by its OVS name, so
// lab.OfctlRaw("mod-port", "br0", "1", "down") works.
func (l *Lab) OfctlRaw(args ...string) (string, error) {
	return l.OfctlContext(l.bg(), args...)
}

// OfctlContext is OfctlRaw with a context.
func (l *Lab) OfctlContext(ctx context.Context, args ...string) (string, error) {
	argv := []string{"ovs-ofctl"}
	explicit := false
	for _, a := range args {
		if a == "-O" || strings.HasPrefix(a, "-O") || strings.HasPrefix(a, "--protocols") {
			explicit = true
		}
	}
	if !explicit {
		argv = append(argv, "-O", "OpenFlow13")
	}
	argv = append(argv, l.mapBridges(args)...)
	return l.run(ctx, argv...)
}

// VsctlRaw runs ovs-vsctl against this lab's database, mapping logical
// bridge names like OfctlRaw.
func (l *Lab) VsctlRaw(args ...string) (string, error) {
	return l.vsctl(l.mapBridges(args)...)
}

// AppctlRaw runs ovs-appctl -t ovs-vswitchd with args (e.g. "fdb/show",
// "br0"), mapping logical bridge names like OfctlRaw.
func (l *Lab) AppctlRaw(args ...string) (string, error) {
	return l.run(l.bg(), append([]string{"ovs-appctl", "-t", "ovs-vswitchd"}, l.mapBridges(args)...)...)
}

func (l *Lab) mapBridges(args []string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(args))
	for i, a := range args {
		if b, ok := l.bridges[a]; ok {
			a = b.OVSName
		}
		out[i] = a
	}
	return out
}

func (l *Lab) ovsBridge(name string) (string, error) {
	b, err := l.bridge(name)
	if err != nil {
		return "", err
	}
	return b.OVSName, nil
}

// AddFlow adds one flow in ovs-ofctl syntax.
func (l *Lab) AddFlow(bridge, flow string) error {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return err
	}
	_, err = l.OfctlRaw("add-flow", br, flow)
	return err
}

// AddFlowsBundle adds the flows in file (ovs-ofctl add-flows syntax) as one
// OpenFlow bundle: all or nothing.
func (l *Lab) AddFlowsBundle(bridge, file string) error {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return err
	}
	_, err = l.OfctlRaw("--bundle", "add-flows", br, file)
	return err
}

// AddFlowsBundleText is AddFlowsBundle with the flows given as text, one
// per line.
func (l *Lab) AddFlowsBundleText(bridge, flows string) error {
	f, err := os.CreateTemp(l.dir, "flows-*.txt")
	if err != nil {
		return fmt.Errorf("ovslab: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(flows); err != nil {
		f.Close()
		return fmt.Errorf("ovslab: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ovslab: %w", err)
	}
	return l.AddFlowsBundle(bridge, filepath.Clean(f.Name()))
}

// DelFlows deletes the flows matching match ("" = all).
func (l *Lab) DelFlows(bridge, match string) error {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return err
	}
	args := []string{"del-flows", br}
	if match != "" {
		args = append(args, match)
	}
	_, err = l.OfctlRaw(args...)
	return err
}

// SyncStats makes ovs-vswitchd push datapath statistics into the
// OpenFlow flow counters now. Without it, counters lag by up to a
// revalidator interval (~0.5-1s): the userspace datapath counts packets in
// megaflows and copies them to OpenFlow flows only when a revalidator runs.
func (l *Lab) SyncStats() error {
	_, err := l.run(l.bg(), "ovs-appctl", "-t", "ovs-vswitchd", "revalidator/wait")
	var ce *CmdError
	if errors.As(err, &ce) && strings.Contains(ce.Stderr, "not a valid command") {
		return nil // registered with the first bridge: no bridge, no stats
	}
	return err
}

// DumpFlows returns the bridge's flows, optionally only those matching
// filter (ovs-ofctl syntax, e.g. "table=1" or "cookie=0x5/-1"). It calls
// SyncStats first, so packet counts are current.
func (l *Lab) DumpFlows(bridge string, filter ...string) ([]Flow, error) {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return nil, err
	}
	if err := l.SyncStats(); err != nil {
		return nil, err
	}
	out, err := l.OfctlRaw(append([]string{"dump-flows", br}, filter...)...)
	if err != nil {
		return nil, err
	}
	return ParseFlows(out)
}

// DumpMeters returns the bridge's meter configurations.
func (l *Lab) DumpMeters(bridge string) ([]Meter, error) {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return nil, err
	}
	out, err := l.OfctlRaw("dump-meters", br)
	if err != nil {
		return nil, err
	}
	return ParseMeters(out)
}

// MeterStats returns the bridge's meter statistics.
func (l *Lab) MeterStats(bridge string) ([]MeterStats, error) {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return nil, err
	}
	out, err := l.OfctlRaw("meter-stats", br)
	if err != nil {
		return nil, err
	}
	return ParseMeterStats(out)
}

// DumpGroups returns the bridge's group descriptions.
func (l *Lab) DumpGroups(bridge string) ([]Group, error) {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return nil, err
	}
	out, err := l.OfctlRaw("dump-groups", br)
	if err != nil {
		return nil, err
	}
	return ParseGroups(out)
}

// DumpPorts returns the bridge's port counters.
func (l *Lab) DumpPorts(bridge string) ([]PortStats, error) {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return nil, err
	}
	out, err := l.OfctlRaw("dump-ports", br)
	if err != nil {
		return nil, err
	}
	return ParsePortStats(out)
}

// DumpPortsDesc returns the bridge's port descriptions (names, state).
func (l *Lab) DumpPortsDesc(bridge string) ([]PortDesc, error) {
	br, err := l.ovsBridge(bridge)
	if err != nil {
		return nil, err
	}
	out, err := l.OfctlRaw("dump-ports-desc", br)
	if err != nil {
		return nil, err
	}
	return ParsePortsDesc(out)
}
