package tracker

import (
	"context"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// answeringConn answers every action at once and reports it.
type answeringConn struct{ sent chan ami.Action }

func (c answeringConn) Action(ctx context.Context, a ami.Action) (ami.Response, error) {
	c.sent <- a
	return ami.Response{Message: ev("Response: Success", "Value: ")}, nil
}

// TestDelayedRequestsLeaveTheBudget: checks parked on a delay (here direct
// media checks an hour away) do not hold in-flight slots, so the Getvars of
// a call answered meanwhile go out at once even with a budget of one.
func TestDelayedRequestsLeaveTheBudget(t *testing.T) {
	conn := answeringConn{sent: make(chan ami.Action, 64)}
	d := NewDriver(conn, DriverOptions{Tracker: Options{DirectMediaDelay: time.Hour}, MaxInFlight: 1}, func(Event) {})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	event := func(m ami.Message) { d.Handle(ami.Delivery{Kind: ami.DeliveryEvent, Msg: m}) }

	for _, l := range []struct{ ch, uid string }{{"PJSIP/201-1", "1.1"}, {"PJSIP/202-2", "1.2"}} {
		event(chanEv("Newstate", l.ch, l.uid, "1.1", "Up"))
		event(chanEv("BridgeEnter", l.ch, l.uid, "1.1", "Up", "BridgeUniqueid: b1"))
	}
	event(chanEv("Newstate", "PJSIP/203-3", "1.3", "1.3", "Up"))
	want := map[string]bool{"PJSIP/203-3": false}
	timeout := time.After(10 * time.Second)
	for n := 0; n < 9; n++ { // 3 requests for each of 3 legs
		select {
		case a := <-conn.sent:
			if a.Get("Variable") == VarRTPDirect {
				t.Fatalf("a check an hour away was sent: %+v", a)
			}
			if _, ok := want[a.Get("Channel")]; ok {
				want[a.Get("Channel")] = true
			}
		case <-timeout:
			t.Fatalf("only %d of 9 requests were sent; delayed checks hold the budget", n)
		}
	}
	if !want["PJSIP/203-3"] {
		t.Fatal("the third call was never queried")
	}
	// Shutdown does not wait for the parked checks.
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return while checks were parked")
	}
}

// TestDelayedRequestsAreSent: a parked check goes out once its delay has
// passed.
func TestDelayedRequestsAreSent(t *testing.T) {
	conn := answeringConn{sent: make(chan ami.Action, 64)}
	d := NewDriver(conn, DriverOptions{Tracker: Options{DirectMediaDelay: 50 * time.Millisecond}}, func(Event) {})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx) //nolint:errcheck
	for _, l := range []struct{ ch, uid string }{{"PJSIP/201-1", "1.1"}, {"PJSIP/202-2", "1.2"}} {
		d.Handle(ami.Delivery{Kind: ami.DeliveryEvent, Msg: chanEv("Newstate", l.ch, l.uid, "1.1", "Up")})
		d.Handle(ami.Delivery{Kind: ami.DeliveryEvent, Msg: chanEv("BridgeEnter", l.ch, l.uid, "1.1", "Up", "BridgeUniqueid: b1")})
	}
	checks := map[string]bool{}
	timeout := time.After(10 * time.Second)
	for len(checks) < 2 {
		select {
		case a := <-conn.sent:
			if a.Get("Variable") == VarRTPDirect {
				checks[a.Get("Channel")] = true
			}
		case <-timeout:
			t.Fatalf("direct media checks sent: %v, want both legs", checks)
		}
	}
}

// TestOverflowStormSpacesResyncs: a storm that keeps overflowing the event
// queue, against a PBX that answers at once, costs it the first resync at
// once and then at most one CoreShowChannels per minResyncGap, not one per
// announcement.
func TestOverflowStormSpacesResyncs(t *testing.T) {
	conn := answeringConn{sent: make(chan ami.Action, 4096)}
	d := NewDriver(conn, DriverOptions{Tracker: Options{DirectMediaDelay: -1}}, func(Event) {})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx) //nolint:errcheck
	const storm = 2500 * time.Millisecond
	end := time.Now().Add(storm)
	first := time.After(time.Second)
	resyncs, sawFirst := 0, false
	for time.Now().Before(end) {
		d.Handle(ami.Delivery{Kind: ami.DeliveryOverflow, Dropped: 100})
		time.Sleep(5 * time.Millisecond)
	drain:
		for {
			select {
			case a := <-conn.sent:
				if a.Name == "CoreShowChannels" {
					resyncs++
					sawFirst = true
				}
			case <-first:
				if !sawFirst {
					t.Fatal("the first overflow did not resync at once")
				}
			default:
				break drain
			}
		}
	}
	// 2.5 s of storm: one at once, then one per second at most.
	if max := int(storm/minResyncGap) + 1; resyncs > max {
		t.Fatalf("%d resyncs in a %v storm, want at most %d", resyncs, storm, max)
	}
	if resyncs < 2 {
		t.Fatalf("%d resyncs: a storm that goes on must still be resynced", resyncs)
	}
}
