package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// memSwitch is an in-memory switch for the DP manager: what it is sent is
// applied to an oftable, which holds what a real switch would.
type memSwitch struct {
	id uint64
	mu sync.Mutex
	t  *oftable.Table
}

func (s *memSwitch) ID() uint64 { return s.id }

func (s *memSwitch) Send(_ context.Context, msgs []of13.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.Apply(msgs...)
}

func (s *memSwitch) Barrier(context.Context) error { return nil }

func (s *memSwitch) SendWithBarrier(ctx context.Context, msgs []of13.Message, done func(error)) error {
	err := s.Send(ctx, msgs)
	go done(err)
	return nil
}

func (s *memSwitch) State(context.Context) (dp.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return dp.State{Flows: s.t.Flows(), Meters: s.t.Meters(), Groups: s.t.Groups()}, nil
}

func (s *memSwitch) Close() error { return nil }

// installedByRun runs the DP manager (run's OpenFlow side) on cfg, connects
// an in-memory switch as DP dpid and returns the flows it ends up holding.
func installedByRun(t *testing.T, cfg *config.Config, dpid uint64) []string {
	t.Helper()
	m := dp.New(dp.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if err := m.SetConfig(ctx, cfg); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	sw := &memSwitch{id: dpid, t: oftable.New(oftable.Config{})}
	m.SwitchConnected(ctx, sw)
	st, _ := sw.State(ctx)
	var out []string
	for _, f := range st.Flows {
		out = append(out, f.String())
	}
	slices.Sort(out)
	return out
}

const flowsVoIPConfig = `
vlans:
  voice: {vid: 200}
  data: {vid: 100}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {name: pbx, native_vlan: voice}
      2: {native_vlan: voice}
      3: {native_vlan: data, tagged_vlans: [voice]}
  sw2:
    dp_id: 2
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: voice}
voip:
  asterisk:
    pbx1: {host: 10.0.200.10, username: voipsdn, secret_env: AMI_SECRET}
  qos:
    sip_ports: [5060]
    pinhole: PINHOLE
    apply_to: {dps: [sw1], vlans: [voice]}
`

// TestFlowsPrintsWhatRunInstalls: for a config with a voip section, the
// flows `voipsdn flows` prints are exactly those the DP manager installs
// on a switch that connects, standing voice flows included (SIP marking,
// and the PBX RTP range marked or dropped by pinhole mode), for a DP the
// policy applies to and for one it does not.
func TestFlowsPrintsWhatRunInstalls(t *testing.T) {
	for _, mode := range []string{"off", "mark", "strict"} {
		text := strings.Replace(flowsVoIPConfig, "PINHOLE", mode, 1)
		path := writeConfig(t, text)
		cfg, err := config.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range cfg.DPs {
			var out, errb bytes.Buffer
			if code := flowsCmd(context.Background(), []string{"--config", path, "--dp", d.Name}, &out, &errb); code != 0 {
				t.Fatalf("%s %s: exit %d: %s", mode, d.Name, code, errb.String())
			}
			var printed []string
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(line, "table=") {
					printed = append(printed, line)
				}
			}
			slices.Sort(printed)
			installed := installedByRun(t, cfg, d.ID)
			if !slices.Equal(printed, installed) {
				for _, f := range installed {
					if !slices.Contains(printed, f) {
						t.Errorf("pinhole %s, dp %s: run installs, flows omits: %s", mode, d.Name, f)
					}
				}
				for _, f := range printed {
					if !slices.Contains(installed, f) {
						t.Errorf("pinhole %s, dp %s: flows prints, run does not install: %s", mode, d.Name, f)
					}
				}
			}
			if d.Name != "sw1" {
				continue
			}
			// The standing voice flows are there, so the comparison
			// above covers them.
			all := strings.Join(printed, "\n")
			want := map[string]bool{
				"udp_dst=5060,actions=set_field:24->ip_dscp":         true,
				"tcp_src=5060,actions=set_field:24->ip_dscp":         true,
				"udp_dst=10000/0xfff0,actions=set_field:46->ip_dscp": mode == "mark",
				"udp_dst=10000/0xfff0,actions=drop":                  mode == "strict",
			}
			for frag, present := range want {
				if strings.Contains(all, frag) != present {
					t.Errorf("pinhole %s: flow with %q present=%v, want %v", mode, frag, !present, present)
				}
			}
		}
	}
}
