package tracker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// Conn sends actions; *ami.Client implements it.
type Conn interface {
	Action(ctx context.Context, a ami.Action) (ami.Response, error)
}

// DriverOptions configure a Driver.
type DriverOptions struct {
	Tracker Options
	// MaxInFlight bounds concurrent actions (default 64).
	MaxInFlight int
	// Buffer bounds deliveries waiting for the driver (default 1024);
	// when full, Handle blocks, which backs up the client's own bounded
	// queue, never its socket reader.
	Buffer int
	Logger *slog.Logger
	// Now is the clock for events without Timestamp (default time.Now).
	Now func() time.Time
	// OnPanic, if set, is told of every panic the driver recovers (for a
	// metric); component is PanicComponent.
	OnPanic func(server, component string)
}

// PanicComponent names the driver in OnPanic.
const PanicComponent = "tracker"

// Driver connects a Tracker to a live client. Give Handle to the client
// as its ami.Handler and run Run; emit is called from Run's goroutine.
type Driver struct {
	conn    Conn
	opt     DriverOptions
	emit    func(Event)
	in      chan ami.Delivery
	results chan result
	stopped chan struct{}
	once    sync.Once
	panics  atomic.Uint64
}

// Panics returns how many panics the driver recovered.
func (d *Driver) Panics() uint64 { return d.panics.Load() }

type result struct {
	req  Request
	resp ami.Response
	err  error
}

// NewDriver returns a driver that sends requests on conn and reports
// lifecycle events to emit.
func NewDriver(conn Conn, opt DriverOptions, emit func(Event)) *Driver {
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = 64
	}
	if opt.Buffer <= 0 {
		opt.Buffer = 1024
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	opt.Logger = opt.Logger.With("component", "ami/tracker", "server", opt.Tracker.Server)
	return &Driver{
		conn: conn, opt: opt, emit: emit,
		in: make(chan ami.Delivery, opt.Buffer), results: make(chan result, opt.MaxInFlight),
		stopped: make(chan struct{}),
	}
}

// Handle queues one delivery for the tracker. It blocks while the driver
// is busy and returns at once after Run ended.
func (d *Driver) Handle(dl ami.Delivery) {
	select {
	case d.in <- dl:
	case <-d.stopped:
	}
}

// minResyncGap spaces the resyncs that follow one another because events
// keep being lost (an event storm): the first is immediate, the next waits
// until this long after the previous one started.
const minResyncGap = time.Second

// Run owns the tracker until ctx ends. It waits for the actions it
// started before returning.
func (d *Driver) Run(ctx context.Context) error {
	defer d.once.Do(func() { close(d.stopped) })
	t := New(d.opt.Tracker)
	var wg sync.WaitGroup
	defer wg.Wait()
	var backlog []Request
	inFlight := 0
	// resyncing: a CoreShowChannels is in flight; resyncDue: events were
	// dropped after it was sent, so another follows it.
	resyncing, resyncDue := false, false
	// resyncStarted is when the last resync for lost events was sent (or
	// is due to be).
	var resyncStarted time.Time
	start := func(req Request) {
		inFlight++
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := result{req: req}
			r.resp, r.err = d.conn.Action(ctx, req.Action())
			select {
			case d.results <- r:
			case <-ctx.Done():
			}
		}()
	}
	// Delayed requests (retries, direct media checks) wait in a queue
	// under one timer, not in the in-flight budget: hundreds of calls a
	// second each park a check for half a second, and must not hold back
	// the Getvars of calls being answered meanwhile.
	var parked delayQueue
	wake := time.NewTimer(time.Hour)
	wake.Stop()
	defer wake.Stop()
	later := func(req Request) {
		if parked.push(req, time.Now().Add(req.Delay)) {
			wake.Reset(req.Delay)
		}
	}
	// resyncForLoss resyncs because events were lost, no sooner than
	// minResyncGap after the previous such resync started: a storm that
	// keeps overflowing the queue costs the PBX at most one
	// CoreShowChannels per gap, and the first one goes at once.
	resyncForLoss := func() {
		resyncing = true
		req := t.ResyncRequest()
		if wait := minResyncGap - time.Since(resyncStarted); !resyncStarted.IsZero() && wait > 0 {
			req.Delay = wait
			resyncStarted = time.Now().Add(wait)
			later(req)
			return
		}
		resyncStarted = time.Now()
		start(req)
	}
	flush := func(evs []Event) {
		for i, ev := range evs {
			// A resync can report tens of thousands of calls; shutdown
			// must not wait for all of them to be acted on.
			if i%checkEvery == 0 && ctx.Err() != nil {
				return
			}
			d.emit(ev)
		}
		for _, req := range t.TakeRequests() {
			if req.Kind == KindResync && req.Delay == 0 {
				// Asked by the tracker (a limit was reached): one at a
				// time, like the driver's own.
				if resyncing {
					resyncDue = true
				} else {
					resyncing = true
					start(req)
				}
				continue
			}
			if req.Delay > 0 {
				later(req)
			} else {
				backlog = append(backlog, req)
			}
		}
		for len(backlog) > 0 && inFlight < d.opt.MaxInFlight {
			start(backlog[0])
			backlog = backlog[1:]
		}
		if len(backlog) == 0 {
			// A burst of answers can queue tens of thousands of requests:
			// let the array go once they are all sent.
			backlog = nil
		}
	}
	// step handles one thing. A panic in it (a tracker bug met with odd
	// input, or in emit) is logged and counted, and answered with a
	// resync instead of taking the process down: the tracker's view may
	// have lost an event, and the server's channel list puts it right.
	step := func() (done bool, err error) {
		defer func() {
			if v := recover(); v != nil {
				d.panics.Add(1)
				d.opt.Logger.Error("recovered from a panic in the call tracker; resynchronising",
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if d.opt.OnPanic != nil {
					d.opt.OnPanic(d.opt.Tracker.Server, PanicComponent)
				}
				if resyncing {
					resyncDue = true
				} else {
					resyncing = true
					start(t.ResyncRequest())
				}
			}
		}()
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case dl := <-d.in:
			switch dl.Kind {
			case ami.DeliveryEvent:
				flush(t.Apply(dl.Msg, d.opt.Now()))
			case ami.DeliveryConnected:
				backlog = nil // requests from the old connection are moot
				resyncing, resyncDue = true, false
				start(t.ResyncRequest())
				flush(nil)
			case ami.DeliveryOverflow:
				// Hangups may be among the lost events: ask the server
				// for its channels now. A storm announces drops again and
				// again; one resync in flight and one after it cover them
				// all.
				// Logged at warn once per resync, not per announcement: a
				// storm makes hundreds of them a second.
				if resyncing {
					d.opt.Logger.Debug("events were dropped; a resync follows the one in flight", "dropped", dl.Dropped)
					resyncDue = true
				} else {
					d.opt.Logger.Warn("events were dropped; resynchronising", "dropped", dl.Dropped)
					resyncForLoss()
				}
			case ami.DeliveryDisconnected:
				calls, legs := t.Calls()
				d.opt.Logger.Info("ami disconnected; will resync on reconnect", "calls", calls, "legs", legs)
			}
		case <-wake.C:
			now := time.Now()
			backlog = parked.popDue(now, backlog)
			if next, ok := parked.next(); ok {
				wake.Reset(max(next.Sub(now), time.Millisecond))
			}
			flush(nil)
		case r := <-d.results:
			inFlight--
			if r.req.Kind == KindResync {
				resyncing = false
				if resyncDue && r.err == nil {
					// Events were lost again while this resync ran, as in
					// a storm: resync once more.
					resyncDue = false
					resyncForLoss()
				}
			}
			if r.req.Kind == KindResync && r.err != nil {
				if !errors.Is(r.err, ami.ErrNotConnected) {
					d.opt.Logger.Warn("resync failed; retrying", "err", r.err)
					r.req.Delay = time.Second
					later(r.req)
				}
				flush(nil)
				return false, nil
			}
			flush(t.AnswerContext(ctx, r.req, r.resp, r.err, d.opt.Now()))
		}
		return false, nil
	}
	for {
		if done, err := step(); done {
			return err
		}
	}
}
