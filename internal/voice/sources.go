package voice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"sync/atomic"

	"github.com/voipsdn/voipsdn/agi"
	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/ari"
	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
)

// SourceOptions configure the sources NewSources builds.
type SourceOptions struct {
	Logger *slog.Logger
	// Metrics may be nil.
	Metrics *voicemetrics.VoiceMetrics
	// AMIOptions are passed to every AMI client.
	AMIOptions []ami.Option
	// Admit is the FastAGI and AsyncAGI admission hook; nil admits every
	// classified call.
	Admit agi.AdmitFunc
}

// NewSources builds the call sources of a voip section: per voip.asterisk
// server an AMI source when it has AMI keys (with AsyncAGI on its session
// when classes are configured) and an ARI source when it has an ari:
// block; the FastAGI server when voip.agi is set. Secrets are read here.
func NewSources(v *config.VoIP, o SourceOptions) ([]call.Source, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var classes []string
	for _, c := range v.QoS.Classes {
		classes = append(classes, c.Name)
	}
	classifier := agi.NewClassifier(classes, o.Admit)
	var out []call.Source
	for _, a := range v.Asterisk {
		if a.AMI {
			src, err := newAMISource(a, &v.QoS, o)
			if err != nil {
				return nil, fmt.Errorf("voice: %s: %w", a.Name, err)
			}
			out = append(out, src)
			if len(classes) > 0 {
				out = append(out, newAsyncSource(src.Source, classifier, o))
			}
		}
		if a.ARI != nil {
			src, err := newARISource(a, o)
			if err != nil {
				return nil, fmt.Errorf("voice: %s: %w", a.Name, err)
			}
			out = append(out, src)
		}
	}
	if v.AGI != nil {
		out = append(out, &agi.Source{Addr: v.AGI.Listen, Options: agi.Options{
			PBXs: pbxAddrs(v.Asterisk), Allow: v.AGI.Allow, MaxSessions: v.AGI.MaxSessions,
			Timeout: v.AGI.Timeout, Classifier: classifier, Logger: o.Logger,
		}})
	}
	return out, nil
}

// ServerConfig converts a voip.asterisk entry to the AMI client's config.
func ServerConfig(a *config.AsteriskServer) ami.ServerConfig {
	return ami.ServerConfig{
		Name: a.Name, Host: a.Host, Port: int(a.Port), Username: a.Username,
		SecretFile: a.SecretFile, SecretEnv: a.SecretEnv,
		TLS: a.TLS, TLSCAFile: a.TLSCAFile, TLSSkipVerify: a.TLSSkipVerify,
		Auth: a.Auth, Events: a.Events, EventFilter: a.EventFilter, PingInterval: a.PingInterval,
	}
}

// amiSource is the AMI tracker's source with the AMI metrics: the
// connection state and the events seen, from the client's deliveries.
type amiSource struct {
	*tracker.Source
	m *voicemetrics.VoiceMetrics
}

func newAMISource(a *config.AsteriskServer, q *config.QoS, o SourceOptions) (*amiSource, error) {
	topt := tracker.Options{Server: a.Name, MaxCalls: a.MaxCalls, MaxLegs: a.MaxLegs, ClassVariable: q.ClassVariable}
	if !a.DirectMedia {
		topt.DirectMediaDelay = -1
	}
	if topt.ClassVariable != "" {
		known := map[string]bool{}
		for _, c := range q.Classes {
			known[c.Name] = true
		}
		topt.KnownClass = func(n string) bool { return known[n] }
	}
	copt := []ami.Option{ami.WithLogger(o.Logger)}
	dopt := tracker.DriverOptions{Tracker: topt, Logger: o.Logger}
	if o.Metrics != nil {
		copt = append(copt, ami.WithPanicHook(o.Metrics.PanicRecovered))
		dopt.OnPanic = o.Metrics.PanicRecovered
	}
	copt = append(copt, o.AMIOptions...)
	src, err := tracker.NewSource(dopt, func(h ami.Handler) (*ami.Client, error) {
		return ami.NewClient(ServerConfig(a), h, copt...)
	})
	if err != nil {
		return nil, err
	}
	s := &amiSource{Source: src, m: o.Metrics}
	if m := o.Metrics; m != nil {
		src.Hook(func(dl ami.Delivery) {
			switch dl.Kind {
			case ami.DeliveryConnected:
				m.SetAMIState(dl.Server, voicemetrics.AMIResyncing)
			case ami.DeliveryDisconnected:
				m.SetAMIState(dl.Server, voicemetrics.AMIDisconnected)
			case ami.DeliveryOverflow:
				m.AMIEventsDropped(dl.Server, int(dl.Dropped))
			case ami.DeliveryEvent:
				m.AMIEvent(dl.Server, dl.Msg.Event())
			}
		})
	}
	return s, nil
}

// Run implements call.Source; a Resynced marks the connection live.
func (s *amiSource) Run(ctx context.Context, emit func(call.Event)) error {
	return s.Source.Run(ctx, func(ev call.Event) {
		if _, ok := ev.(call.Resynced); ok && s.m != nil {
			s.m.SetAMIState(s.Server(), voicemetrics.AMILive)
		}
		emit(ev)
	})
}

// asyncSource answers AsyncAGI sessions on an AMI source's session: it
// sees the client's deliveries through a hook and sends its actions on
// the same client. It has no view to resynchronise.
type asyncSource struct {
	server string
	conn   agi.Actioner
	opt    agi.AsyncOptions
	cur    atomic.Pointer[agi.Async]
}

func newAsyncSource(src *tracker.Source, c *agi.Classifier, o SourceOptions) *asyncSource {
	a := &asyncSource{server: src.Server(), conn: src.Client(),
		opt: agi.AsyncOptions{Server: src.Server(), Classifier: c, Logger: o.Logger}}
	// Deliveries before Run have no Async to go to; Run starts with the
	// AMI source, before its first login completes.
	src.Hook(func(dl ami.Delivery) {
		if as := a.cur.Load(); as != nil {
			as.Handle(dl)
		}
	})
	return a
}

func (a *asyncSource) Name() string   { return a.server + "/asyncagi" }
func (a *asyncSource) Server() string { return a.server }
func (a *asyncSource) NeverResyncs()  {}

func (a *asyncSource) Run(ctx context.Context, emit func(call.Event)) error {
	as := agi.NewAsync(a.conn, a.opt, emit)
	a.cur.Store(as)
	if err := as.Run(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func newARISource(a *config.AsteriskServer, o SourceOptions) (*ari.Source, error) {
	pw, err := ari.LoadPassword(a.ARI.PasswordFile, a.ARI.PasswordEnv)
	if err != nil {
		return nil, err
	}
	return ari.NewSource(ari.Config{
		Server: a.Name, URL: a.ARI.URL, Username: a.ARI.Username, Password: pw,
		App: a.ARI.App, SubscribeAll: a.ARI.SubscribeAll,
		Follower: ari.Options{MaxCalls: a.MaxCalls, MaxLegs: a.MaxLegs}, Logger: o.Logger,
	})
}

// pbxAddrs gives each server's addresses FastAGI sessions come from: its
// AMI host and its ARI URL's host, when they are IP literals.
func pbxAddrs(servers []*config.AsteriskServer) []agi.PBX {
	out := make([]agi.PBX, 0, len(servers))
	for _, a := range servers {
		p := agi.PBX{Name: a.Name}
		if ip, err := netip.ParseAddr(a.Host); err == nil {
			p.Addrs = append(p.Addrs, ip)
		}
		if a.ARI != nil {
			if u, err := url.Parse(a.ARI.URL); err == nil {
				if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !containsAddr(p.Addrs, ip) {
					p.Addrs = append(p.Addrs, ip)
				}
			}
		}
		out = append(out, p)
	}
	return out
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}
