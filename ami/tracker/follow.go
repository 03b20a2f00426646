package tracker

import (
	"context"
	"sync"

	"github.com/voipsdn/voipsdn/ami"
)

// Follow tracks the calls of every configured server until ctx ends: one
// ami.Client per server (through an ami.Manager) and one Driver per
// client. emit receives the events of all servers (Header.Server tells
// them apart); it is called from one goroutine per server, so it must be
// safe for concurrent use when there are several. opt.Tracker.Server is
// set per server. Follow returns after every goroutine it started ended;
// configuration errors are returned at once.
func Follow(ctx context.Context, cfgs []ami.ServerConfig, opt DriverOptions, emit func(Event), clientOpts ...ami.Option) error {
	drivers := map[string]*Driver{}
	m, err := ami.NewManager(cfgs, func(d ami.Delivery) { drivers[d.Server].Handle(d) }, clientOpts...)
	if err != nil {
		return err
	}
	// drivers is filled before any client runs and only read afterwards.
	for _, name := range m.Names() {
		o := opt
		o.Tracker.Server = name
		drivers[name] = NewDriver(m.Client(name), o, emit)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, d := range drivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = d.Run(ctx)
		}()
	}
	err = m.Run(ctx)
	cancel()
	wg.Wait()
	return err
}
