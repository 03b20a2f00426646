package tracker

import (
	"context"
	"errors"
	"sync"

	"github.com/voipsdn/voipsdn/ami"
	callev "github.com/voipsdn/voipsdn/call"
)

// Source follows one PBX over AMI as a callev.Source: one ami.Client and
// one Driver. Besides the Driver's events it emits Unsynced when the
// connection comes up, goes down or loses events (a Resynced follows the
// tracker's next CoreShowChannels).
type Source struct {
	opt    DriverOptions
	client *ami.Client

	// hooks see every delivery before the tracker; set before Run.
	hooks []func(ami.Delivery)
	// driver is set by Run before the client starts delivering.
	driver *Driver
	emitMu sync.Mutex
	emit   func(callev.Event)
}

var _ callev.Source = (*Source)(nil)

// NewSource returns a Source for the server opt.Tracker.Server. newClient
// builds the AMI client from the server's configuration, delivering to
// the handler it is given (the caller owns the config and the client's
// options; the Source owns the handler).
func NewSource(opt DriverOptions, newClient func(ami.Handler) (*ami.Client, error)) (*Source, error) {
	if opt.Tracker.Server == "" {
		return nil, errors.New("tracker: source: no server name")
	}
	s := &Source{opt: opt}
	c, err := newClient(s.handle)
	if err != nil {
		return nil, err
	}
	s.client = c
	return s, nil
}

// Client is the source's AMI client (to send other actions on the same
// session, as AsyncAGI does).
func (s *Source) Client() *ami.Client { return s.client }

// Hook adds a function that sees every delivery of the client, on its
// delivery goroutine, before the tracker does (metrics, AsyncAGI). It
// must not block. Call it before Run.
func (s *Source) Hook(f func(ami.Delivery)) { s.hooks = append(s.hooks, f) }

// Name implements callev.Source: "NAME/ami".
func (s *Source) Name() string { return s.opt.Tracker.Server + "/ami" }

// Server implements callev.Source.
func (s *Source) Server() string { return s.opt.Tracker.Server }

// Run implements callev.Source: it runs the client and the tracker until
// ctx ends. Run once.
func (s *Source) Run(ctx context.Context, emit func(callev.Event)) error {
	s.emit = emit
	s.driver = NewDriver(s.client, s.opt, s.emitLocked)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.driver.Run(ctx) })
	// The client starts after driver is set: its deliveries see it.
	err := s.client.Run(ctx)
	cancel()
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// emitLocked serialises the Driver's events with the Unsynced ones the
// delivery goroutine emits, as callev.Source promises.
func (s *Source) emitLocked(ev callev.Event) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.emit(ev)
}

func (s *Source) handle(dl ami.Delivery) {
	for _, h := range s.hooks {
		h(dl)
	}
	switch dl.Kind {
	case ami.DeliveryConnected, ami.DeliveryDisconnected, ami.DeliveryOverflow:
		// Emitted before the tracker sees the delivery, so it comes
		// before the Resynced that the tracker's resync ends with.
		s.emitLocked(Unsynced{Header: Header{Server: s.opt.Tracker.Server, Time: dl.Received}})
	}
	if s.driver != nil {
		s.driver.Handle(dl)
	}
}
