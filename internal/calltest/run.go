package calltest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/internal/eventbus"
	"github.com/voipsdn/voipsdn/internal/netevents"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// AMI is the controller's session to one PBX (an *ami.Client).
type AMI interface {
	Forward(ctx context.Context, a ami.Action, id string) (ami.Response, error)
	Subscribe(f func(ami.Message)) (cancel func())
}

// Tester places test calls. Its fields are set before use.
type Tester struct {
	// AMI returns the session to a server, nil if there is none.
	AMI func(server string) AMI
	// Records carries the VOIP_CALL records (netevents.Calls' bus).
	Records *eventbus.Bus
	// Flows reads a datapath's flows with their counters by cookie and
	// mask (dp.Manager.FlowStats).
	Flows func(ctx context.Context, dpid, cookie, mask uint64) ([]of13.FlowStats, error)
	// Ptime is the install deadline after media known (default 20 ms).
	Ptime time.Duration
	// AnswerWait bounds the wait for OriginateResponse (default 45 s).
	AnswerWait time.Duration
	// RemoveWait bounds the wait for the call's end and its flows' removal
	// after the hang-up (default 10 s).
	RemoveWait time.Duration

	seq atomic.Uint64
}

// Request is one test call: Originate From (a channel, "PJSIP/201"), and
// on answer dial To in Context, for Duration.
type Request struct {
	Server, From, To, Context string
	Duration                  time.Duration
}

// ErrNoServer: the controller has no AMI session to the server.
var ErrNoServer = errors.New("no AMI session to that server")

// Run places the call and returns its verdict; an error means the test
// could not be made at all (no session, Originate refused).
func (t *Tester) Run(ctx context.Context, req Request) (*Verdict, error) {
	ptime, answerWait, removeWait := orDefault(t.Ptime, 20*time.Millisecond), orDefault(t.AnswerWait, 45*time.Second),
		orDefault(t.RemoveWait, 10*time.Second)
	if req.Context == "" {
		req.Context = "default"
	}
	up := t.AMI(req.Server)
	if up == nil {
		return nil, fmt.Errorf("%s: %w", req.Server, ErrNoServer)
	}
	v := &Verdict{Server: req.Server, From: req.From, To: req.To, PtimeMS: ms(ptime)}
	recs := t.Records.Subscribe(4096, func(r eventbus.Record) bool {
		return r.Type == netevents.CallRecordType && r.Server == req.Server
	})
	defer recs.Close()
	f := newFollower()

	id := "calltest-" + strconv.FormatUint(t.seq.Add(1), 10) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	answer := make(chan ami.Message, 1)
	cancel := up.Subscribe(func(m ami.Message) {
		if m.Get("Event") == "OriginateResponse" && m.Get("ActionID") == id {
			select {
			case answer <- m:
			default:
			}
		}
	})
	defer cancel()
	resp, err := up.Forward(ctx, ami.NewAction("Originate", "Channel", req.From, "Context", req.Context, "Exten", req.To,
		"Priority", "1", "Async", "true", "Timeout", strconv.Itoa(int(answerWait/time.Millisecond)),
		"CallerID", "voipsdn test call <"+req.To+">"), id)
	if err != nil {
		return nil, fmt.Errorf("originate: %w", err)
	}
	if resp.Get("Response") != "Success" {
		return nil, fmt.Errorf("originate refused: %s", resp.Get("Message"))
	}

	// OriginateResponse comes once the first channel answered or failed.
	var or ami.Message
	timeout := time.NewTimer(answerWait + 5*time.Second)
	defer timeout.Stop()
	for or.Fields == nil {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timeout.C:
			v.OriginateText = "no OriginateResponse from the PBX"
			v.judge()
			return v, nil
		case r := <-recs.C:
			f.add(r)
		case or = <-answer:
		}
	}
	v.OriginateReason, _ = strconv.Atoi(or.Get("Reason"))
	v.OriginateText = originateReason(v.OriginateReason)
	v.Answered = or.Get("Response") == "Success"
	if !v.Answered {
		v.judge()
		return v, nil
	}
	leg, channel := or.Get("Uniqueid"), or.Get("Channel")
	hungUp := false
	defer func() {
		// However the test ends (the client went away, say), the call
		// it placed does not stay up.
		if !hungUp {
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			up.Forward(hctx, ami.NewAction("Hangup", "Channel", channel, "Cause", "16"), id+"-hangup") //nolint:errcheck
		}
	}()

	// Follow the call for its duration.
	hold := time.NewTimer(req.Duration)
	defer hold.Stop()
	for held := false; !held; {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case r := <-recs.C:
			f.add(r)
		case <-hold.C:
			held = true
		}
	}
	v.Call = f.callOf(leg)
	if v.Call == "" {
		v.Call = leg // Asterisk's Linkedid of an originated call is its first channel
	}
	cookie := qos.CallCookie(req.Server, v.Call)
	counters := t.counters(ctx, f.dpids(v.Call), cookie)

	// Hang up if still up, then wait for the end and the flows to go.
	if !f.ended(v.Call) {
		if _, err := up.Forward(ctx, ami.NewAction("Hangup", "Channel", channel, "Cause", "16"), id+"-hangup"); err != nil {
			return nil, fmt.Errorf("hangup: %w", err)
		}
	}
	hungUp = true
	deadline := time.Now().Add(removeWait)
	for time.Now().Before(deadline) && !f.ended(v.Call) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case r := <-recs.C:
			f.add(r)
		case <-time.After(50 * time.Millisecond):
		}
	}
	var readErr error
	for time.Now().Before(deadline) {
		n, err := t.left(ctx, f.dpids(v.Call), cookie)
		if readErr = err; err == nil && n == 0 {
			v.Removed = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if readErr != nil {
		v.FlowReadError = readErr.Error()
	}
	f.fill(v, ptime, counters)
	v.judge()
	return v, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// callMask selects a call's flows whatever run of the store made them.
const callMask = ^qos.CookieGenMask

// counters reads the call's flows with their counters.
func (t *Tester) counters(ctx context.Context, dpids []uint64, cookie uint64) map[uint64][]of13.FlowStats {
	all := map[uint64][]of13.FlowStats{}
	for _, d := range dpids {
		if fl, err := t.Flows(ctx, d, cookie, callMask); err == nil {
			all[d] = fl
		}
	}
	return all
}

// left counts the call's flows still on its switches.
func (t *Tester) left(ctx context.Context, dpids []uint64, cookie uint64) (int, error) {
	n := 0
	for _, d := range dpids {
		fl, err := t.Flows(ctx, d, cookie, callMask)
		if err != nil {
			return 0, err
		}
		n += len(fl)
	}
	return n, nil
}
