package app

import (
	"context"
	"net/netip"
	"sync"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/calltest"
	"github.com/voipsdn/voipsdn/internal/netevents"
	"github.com/voipsdn/voipsdn/internal/voice"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// voiceState is the voice service (call sources, per-call QoS),
// started by the first configuration with voip.asterisk servers.
type voiceState struct {
	mu  sync.Mutex
	svc *voice.Service
	vm  *voicemetrics.VoiceMetrics
}

// prepareVoice builds what cfg's voice section needs without touching the
// running service, and returns the step that puts it in force. When voice
// starts with this configuration the service is built here (not started):
// if it cannot be (an unreadable AMI secret, say), the error rejects the
// whole configuration and the running one stays. The returned commit
// starts the service, or gives a running one the new QoS policy; it cannot
// fail but for shutdown. Reloads are serialised, so nothing changes the
// service between the two steps.
func (a *App) prepareVoice(cfg *config.Config, changes *config.ChangeSet) (commit func(context.Context), err error) {
	v := &a.voice
	v.mu.Lock()
	running := v.svc
	v.mu.Unlock()
	if cfg.VoIP == nil || len(cfg.VoIP.Asterisk) == 0 {
		return func(context.Context) {
			if running != nil {
				a.log.Warn("voip.asterisk removed from the configuration; the voice service stops at the next restart")
			}
		}, nil
	}
	if running != nil {
		return func(ctx context.Context) {
			if changes != nil && changes.VoIP.QoSChanged {
				if err := running.SetPolicy(ctx, &cfg.VoIP.QoS); err != nil {
					a.log.Error("applying the new QoS policy failed", "err", err)
				}
			}
			if changes != nil && !changes.VoIP.Asterisk.Empty() {
				a.log.Warn("voip.asterisk servers changed; the change takes effect at the next restart")
			}
		}, nil
	}
	v.mu.Lock()
	if v.vm == nil {
		names := make([]string, len(cfg.VoIP.Asterisk))
		for i, s := range cfg.VoIP.Asterisk {
			names[i] = s.Name
		}
		var reasons []string
		for _, r := range qos.AllReasons() {
			reasons = append(reasons, string(r))
		}
		vm, err := voicemetrics.New(a.reg, voicemetrics.Options{Servers: names, FallbackReasons: reasons})
		if err != nil {
			a.log.Error("voice metrics", "err", err)
		}
		v.vm = vm
	}
	vm := v.vm
	v.mu.Unlock()
	// One source per interface of each PBX (AMI, ARI) and the FastAGI
	// server, which asks admission control before a call is answered.
	// The AMI gateway shares each AMI source's session.
	sw := voice.Switches{M: a.mgr}
	adm := voice.NewAdmitter(&cfg.VoIP.QoS, sw, sw, a.log)
	sopts := voice.SourceOptions{Logger: a.log, Metrics: vm}
	if adm != nil {
		sopts.Admit = adm.Admit
	}
	gw := a.newGateway(cfg.VoIP.Gateway)
	if gw != nil {
		sopts.AMIOptions = append(sopts.AMIOptions, ami.WithClientHook(func(c *ami.Client) { gw.AddUpstream(c) }))
		// Test calls (docs/gateway.md) go through the same sessions, for
		// users granted Originate.
		tester := &calltest.Tester{Records: a.events, Flows: a.mgr.FlowStats, AMI: func(server string) calltest.AMI {
			if u := gw.Session(server); u != nil {
				return u
			}
			return nil
		}}
		gw.Handle("POST /v1/pbx/{name}/calltest", "Originate", tester.Handler())
	}
	sources, err := voice.NewSources(cfg.VoIP, sopts)
	if err != nil {
		return nil, err
	}
	calls := netevents.Calls{Bus: a.events}
	svc, err := voice.New(voice.Options{VoIP: cfg.VoIP, Switches: sw, Sources: sources,
		Metrics: vm, Logger: a.log, Events: calls.Event, Outcomes: calls.Outcomes(), Admission: adm})
	if err != nil {
		return nil, err
	}
	return func(context.Context) {
		v.mu.Lock()
		v.svc = svc
		v.mu.Unlock()
		if gw != nil {
			a.runGateway(gw, cfg.VoIP.Gateway)
		}
		a.wg.Go(func() {
			if err := svc.Run(a.runCtx); err != nil {
				a.log.Error("voice service stopped", "err", err)
			}
		})
	}, nil
}

// switchUp tells the voice service that a switch is in sync.
func (a *App) switchUp(ctx context.Context, dpid uint64) {
	a.voice.mu.Lock()
	svc := a.voice.svc
	a.voice.mu.Unlock()
	if svc != nil {
		svc.SwitchUp(ctx, dpid)
	}
}

// hostLocated tells the voice service that an address was located.
func (a *App) hostLocated(ip netip.Addr) {
	a.voice.mu.Lock()
	svc := a.voice.svc
	a.voice.mu.Unlock()
	if svc != nil {
		svc.HostLocated(ip)
	}
}

// flowRemoved passes a switch's flow-removed report to the voice service.
func (a *App) flowRemoved(ctx context.Context, dpid uint64, fr *of13.FlowRemoved) {
	a.voice.mu.Lock()
	svc := a.voice.svc
	a.voice.mu.Unlock()
	if svc != nil {
		svc.FlowRemoved(ctx, dpid, fr)
	}
}
