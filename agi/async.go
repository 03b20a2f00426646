package agi

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/call"
)

// Actioner sends one AMI action and waits for its response; *ami.Client
// is one.
type Actioner interface {
	Action(ctx context.Context, a ami.Action) (ami.Response, error)
}

// AsyncOptions configure an Async.
type AsyncOptions struct {
	// Server is the voip.asterisk name of the PBX the AMI client follows.
	Server     string
	Classifier *Classifier
	// Timeout bounds each AGI action (default 5 s).
	Timeout time.Duration
	// Queue bounds the AsyncAGIStart events waiting for the worker
	// (default 256); past it they are dropped and counted.
	Queue  int
	Logger *slog.Logger
}

// AsyncStats counts what Async did.
type AsyncStats struct {
	Started    uint64 // AsyncAGIStart seen
	Ignored    uint64 // sessions of other applications (first argument not qos)
	Classified uint64 // Classified events emitted
	Answered   uint64 // sessions answered (SET VARIABLE and ASYNCAGI BREAK queued)
	Failed     uint64 // bad environment, refused actions, or a command Asterisk did not run (AsyncAGIExec not 200)
	Dropped    uint64 // AsyncAGIStart dropped: the worker's queue was full
	Rescued    uint64 // sessions found waiting by a rescan (CoreShowChannels) and answered
}

// maxPending bounds the commands awaiting their AsyncAGIExec.
const maxPending = 1024

// Async answers AsyncAGI sessions over one AMI connection: the dialplan
// runs AGI(agi:async,qos,CLASS) (or AGI(agi:async,qos?class=CLASS)), and
// Asterisk announces AsyncAGIStart with the agi_* environment URL-encoded
// in its Env header. Async answers with two Action: AGI commands on the
// channel, SET VARIABLE VOIPSDN_QOS <result> and ASYNCAGI BREAK (which
// returns the channel to the dialplan), each with its own CommandID, and
// reads their outcome from AsyncAGIExec. Sessions whose first argument is
// not qos belong to another application on the same PBX (AsyncAGI is how
// AMI applications drive calls) and are left alone. After each login and
// each event overflow, a CoreShowChannels rescan answers the sessions
// whose start was missed. The AMI user needs the agi read and write
// classes.
type Async struct {
	conn Actioner
	opt  AsyncOptions
	emit func(call.Event)
	log  *slog.Logger
	q    chan ami.Message
	// rescan asks the worker to look for sessions whose AsyncAGIStart it
	// missed (before voipsdn connected, or lost to a disconnect or an
	// overflow): such a channel waits in AGI until someone answers.
	rescan chan struct{}
	seq    atomic.Uint64

	mu      sync.Mutex
	pending map[string]string // CommandID -> command, until its AsyncAGIExec
	// answered remembers recently answered Uniqueids (bounded, oldest
	// first out) so that a rescan does not answer a session twice.
	answered  map[string]bool
	answeredQ []string

	started, ignored, classified, answers, failed, dropped, rescued atomic.Uint64
}

// NewAsync returns an Async that sends its actions through conn and
// reports classified calls to emit.
func NewAsync(conn Actioner, opt AsyncOptions, emit func(call.Event)) *Async {
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.Queue <= 0 {
		opt.Queue = 256
	}
	if opt.Classifier == nil {
		opt.Classifier = NewClassifier(nil, nil)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Async{
		conn: conn, opt: opt, emit: emit, log: log.With("component", "asyncagi", "server", opt.Server),
		q: make(chan ami.Message, opt.Queue), pending: map[string]string{},
		rescan: make(chan struct{}, 1), answered: map[string]bool{},
	}
}

// Stats returns a snapshot of the counters.
func (a *Async) Stats() AsyncStats {
	return AsyncStats{
		Started: a.started.Load(), Ignored: a.ignored.Load(), Classified: a.classified.Load(),
		Answered: a.answers.Load(), Failed: a.failed.Load(), Dropped: a.dropped.Load(), Rescued: a.rescued.Load(),
	}
}

// Handle takes one delivery of the server's AMI client. It never blocks:
// it runs on the client's delivery goroutine, beside the call tracker.
func (a *Async) Handle(d ami.Delivery) {
	switch d.Kind {
	case ami.DeliveryConnected, ami.DeliveryOverflow:
		select {
		case a.rescan <- struct{}{}:
		default: // one is pending already
		}
		return
	case ami.DeliveryDisconnected:
		// Answers to commands of the lost session will not come.
		a.mu.Lock()
		clear(a.pending)
		a.mu.Unlock()
		return
	case ami.DeliveryEvent:
	default:
		return
	}
	switch d.Msg.Event() {
	case "AsyncAGIStart":
		a.started.Add(1)
		select {
		case a.q <- d.Msg:
		default:
			a.dropped.Add(1)
			a.log.Warn("asyncagi session dropped: queue full", "channel", d.Msg.Get("Channel"))
		}
	case "AsyncAGIExec":
		a.onExec(d.Msg)
	}
}

// onExec checks the outcome of one of Async's commands.
func (a *Async) onExec(m ami.Message) {
	id := m.Get("CommandId")
	a.mu.Lock()
	cmd, mine := a.pending[id]
	delete(a.pending, id)
	a.mu.Unlock()
	if !mine {
		return // another application's command
	}
	res, _ := url.PathUnescape(m.Get("Result"))
	rep, _, err := ReadReply(NewReader(strings.NewReader(res)))
	if err != nil || rep.Code != 200 {
		a.failed.Add(1)
		a.log.Warn("asyncagi command failed", "channel", m.Get("Channel"), "command", cmd, "result", strings.TrimSpace(res))
	}
}

// Run answers queued sessions, one at a time, until ctx ends.
func (a *Async) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-a.q:
			a.answer(ctx, m)
		case <-a.rescan:
			a.rescanChannels(ctx)
		}
	}
}

// decodeAsyncEnv decodes AsyncAGIStart's Env header: the environment
// block, percent-encoded ("agi_request%3A%20async%0A...").
func decodeAsyncEnv(s string) (Env, error) {
	dec, err := url.PathUnescape(s)
	if err != nil {
		return nil, err
	}
	return ParseEnv(dec)
}

func (a *Async) answer(ctx context.Context, m ami.Message) {
	channel := m.Get("Channel")
	env, err := decodeAsyncEnv(m.Get("Env"))
	if err != nil {
		a.failed.Add(1)
		a.log.Warn("asyncagi: bad environment", "channel", channel, "err", err)
		return
	}
	a.answerSession(ctx, channel, m.Get("Linkedid"), env)
}

// rescanChannels answers the AsyncAGI sessions voipsdn did not see start:
// CoreShowChannels lists a channel waiting in AGI(agi:async,qos,...) with
// its application data, which holds the arguments.
func (a *Async) rescanChannels(ctx context.Context) {
	actx, cancel := context.WithTimeout(ctx, a.opt.Timeout)
	resp, err := a.conn.Action(actx, ami.NewAction("CoreShowChannels"))
	cancel()
	if err != nil {
		a.log.Warn("asyncagi rescan failed", "err", err)
		return
	}
	for _, ev := range resp.Events {
		data, ok := strings.CutPrefix(ev.Get("ApplicationData"), "agi:async,")
		uid := ev.Get("Uniqueid")
		if ev.Get("Application") != "AGI" || !ok || a.wasAnswered(uid) {
			continue
		}
		env := Env{{"agi_request", "async"}, {"agi_channel", ev.Get("Channel")}, {"agi_uniqueid", uid}}
		for i, arg := range strings.Split(data, ",") {
			env = append(env, Var{"agi_arg_" + strconv.Itoa(i+1), arg})
		}
		if a.answerSession(ctx, ev.Get("Channel"), ev.Get("Linkedid"), env) {
			a.rescued.Add(1)
		}
	}
}

func (a *Async) wasAnswered(uid string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.answered[uid]
}

func (a *Async) noteAnswered(uid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.answered[uid] {
		return
	}
	if len(a.answeredQ) >= maxPending {
		delete(a.answered, a.answeredQ[0])
		a.answeredQ = a.answeredQ[1:]
	}
	a.answered[uid] = true
	a.answeredQ = append(a.answeredQ, uid)
}

// answerSession classifies one session and answers it; it reports
// whether both commands were queued.
func (a *Async) answerSession(ctx context.Context, channel, linkedid string, env Env) bool {
	req, err := ParseRequest(env)
	if err != nil {
		a.failed.Add(1)
		a.log.Warn("asyncagi: bad environment", "channel", channel, "err", err)
		return false
	}
	if req.Script != ScriptQoS {
		a.ignored.Add(1)
		return false
	}
	if a.wasAnswered(req.Uniqueid) {
		return false // a rescan got there first
	}
	result, ev := a.opt.Classifier.Decide(ctx, req, a.opt.Server, linkedid, time.Now())
	if ev != nil {
		a.classified.Add(1)
		if a.emit != nil {
			a.emit(*ev)
		}
	}
	a.log.Info("asyncagi classification", "uniqueid", req.Uniqueid, "channel", channel, "class", req.Class, "result", result)
	// Commands on one channel run in the order queued, so both go at
	// once: the variable is set before the dialplan resumes.
	for _, cmd := range []string{"SET VARIABLE " + VarResult + " " + result, "ASYNCAGI BREAK"} {
		if err := a.command(ctx, channel, cmd); err != nil {
			a.failed.Add(1)
			a.log.Warn("asyncagi action failed", "channel", channel, "command", cmd, "err", err)
			return false
		}
	}
	a.noteAnswered(req.Uniqueid)
	a.answers.Add(1)
	return true
}

func (a *Async) command(ctx context.Context, channel, cmd string) error {
	id := "voipsdn-agi-" + strconv.FormatUint(a.seq.Add(1), 10)
	a.mu.Lock()
	if len(a.pending) < maxPending {
		a.pending[id] = cmd
	}
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, a.opt.Timeout)
	defer cancel()
	_, err := a.conn.Action(ctx, ami.NewAction("AGI", "Channel", channel, "Command", cmd, "CommandID", id))
	if err != nil {
		a.mu.Lock()
		delete(a.pending, id)
		a.mu.Unlock()
		if errors.Is(err, ami.ErrNoSuchChannel) {
			return nil // hung up meanwhile: nothing to answer
		}
	}
	return err
}
