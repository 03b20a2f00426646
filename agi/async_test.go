package agi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/call"
)

const asyncCapture = "../ami/testdata/captures/13-call-201-to-403-async-agi.txt"

// recordingConn answers AGI actions as Asterisk did in the capture
// ("Added AGI command to queue") and records them.
type recordingConn struct {
	mu  sync.Mutex
	got []ami.Action
	err error
}

func (c *recordingConn) Action(_ context.Context, a ami.Action) (ami.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, a)
	return ami.Response{}, c.err
}

func (c *recordingConn) actions() []ami.Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ami.Action(nil), c.got...)
}

// replayAMI feeds a capture's messages to h as deliveries of server pbx1.
func replayAMI(t *testing.T, capture []byte, h func(ami.Delivery)) {
	t.Helper()
	r := ami.NewReader(bytes.NewReader(capture), 0)
	for {
		m, err := r.ReadMessage()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		h(ami.Delivery{Server: "pbx1", Kind: ami.DeliveryEvent, Msg: m, Received: time.Now()})
	}
}

func runAsync(t *testing.T, conn Actioner, capture []byte) (*Async, *sink) {
	t.Helper()
	sk := &sink{}
	a := NewAsync(conn, AsyncOptions{Server: "pbx1", Classifier: NewClassifier([]string{"emergency"}, nil)}, sk.emit)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	replayAMI(t, capture, a.Handle)
	waitFor(t, "queue drained", func() bool { return len(a.q) == 0 })
	cancel()
	<-done
	return a, sk
}

// TestAsyncCaptureIsNotOurs: the recorded call ran AGI(agi:async) with no
// arguments and another client drove it (Playback, GET FULL VARIABLE,
// HANGUP). Async must leave such a session alone: no action, no event,
// and the other client's AsyncAGIExec results are not taken for its own.
func TestAsyncCaptureIsNotOurs(t *testing.T) {
	conn := &recordingConn{}
	a, sk := runAsync(t, conn, asyncCap(t))
	if n := len(conn.actions()); n != 0 || len(sk.classified()) != 0 {
		t.Fatalf("acted on another application's session: %d actions, %v", n, sk.classified())
	}
	if st := a.Stats(); st.Started != 1 || st.Ignored != 1 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
}

// withArgs rewrites the capture's AsyncAGIStart as if the dialplan had
// run AGI(agi:async,ARGS...): Asterisk adds agi_arg_N lines to the
// environment block.
func withArgs(t *testing.T, capture []byte, args ...string) []byte {
	t.Helper()
	const tail = "agi_threadid%3A%20140487316346560%0A"
	if !bytes.Contains(capture, []byte(tail)) {
		t.Fatal("capture changed")
	}
	add := ""
	for i, a := range args {
		add += url.PathEscape("agi_arg_" + string(rune('1'+i)) + ": " + a + "\n")
	}
	return bytes.Replace(capture, []byte(tail), []byte(tail+add), 1)
}

// TestAsyncClassifiesTheCapturedCall: the same call with
// AGI(agi:async,qos,emergency): one Classified for the channel and its
// call, and the two AGI actions on the channel.
func TestAsyncClassifiesTheCapturedCall(t *testing.T) {
	for _, args := range [][]string{{"qos", "emergency"}, {"qos", "class=emergency"}, {"qos?class=emergency"}} {
		conn := &recordingConn{}
		a, sk := runAsync(t, conn, withArgs(t, asyncCap(t), args...))
		evs := sk.classified()
		if len(evs) != 1 {
			t.Fatalf("%q: events %+v", args, evs)
		}
		ev := evs[0]
		ev.Time = time.Time{}
		want := call.Classified{Header: call.Header{Server: "pbx1", Call: "1795502104.15"}, Uniqueid: "1795502104.15", Class: "emergency"}
		if ev != want {
			t.Errorf("%q: event %+v", args, ev)
		}
		acts := conn.actions()
		if len(acts) != 2 {
			t.Fatalf("%q: actions %+v", args, acts)
		}
		for i, cmd := range []string{"SET VARIABLE VOIPSDN_QOS emergency", "ASYNCAGI BREAK"} {
			if acts[i].Name != "AGI" || acts[i].Get("Channel") != "PJSIP/201-0000000d" || acts[i].Get("Command") != cmd || acts[i].Get("CommandID") == "" {
				t.Errorf("%q: action %d %+v", args, i, acts[i])
			}
		}
		if acts[0].Get("CommandID") == acts[1].Get("CommandID") {
			t.Error("CommandIDs not distinct")
		}
		if st := a.Stats(); st.Classified != 1 || st.Answered != 1 || st.Failed != 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

// TestAsyncExecResults: AsyncAGIExec answers to Async's CommandIDs are
// checked (a 510 counts as failed); another application's are ignored.
func TestAsyncExecResults(t *testing.T) {
	conn := &recordingConn{}
	capture := withArgs(t, asyncCap(t), "qos", "gold")
	a, sk := runAsync(t, conn, capture)
	acts := conn.actions()
	if len(acts) != 2 || acts[0].Get("Command") != "SET VARIABLE VOIPSDN_QOS unknown_class" || len(sk.classified()) != 0 {
		t.Fatalf("unknown class: %+v %v", acts, sk.classified())
	}
	exec := func(id, result string) ami.Delivery {
		return ami.Delivery{Kind: ami.DeliveryEvent, Msg: ami.Message{Fields: []ami.Field{
			{Key: "Event", Value: "AsyncAGIExec"}, {Key: "Channel", Value: "PJSIP/201-0000000d"},
			{Key: "Result", Value: url.PathEscape(result)}, {Key: "CommandId", Value: id}}}}
	}
	a.Handle(exec(acts[0].Get("CommandID"), "200 result=1\n"))
	a.Handle(exec("cmd-playback", "510 Invalid or unknown command\n"))
	a.Handle(exec(acts[1].Get("CommandID"), "510 Invalid or unknown command\n"))
	if st := a.Stats(); st.Failed != 1 {
		t.Errorf("stats %+v", st)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.pending) != 0 {
		t.Errorf("pending left: %v", a.pending)
	}
}

// TestAsyncHandleNeverBlocks: with the worker stopped, a burst of
// AsyncAGIStart fills the queue and the rest is dropped and counted.
func TestAsyncHandleNeverBlocks(t *testing.T) {
	a := NewAsync(&recordingConn{}, AsyncOptions{Server: "pbx1", Queue: 4}, nil)
	m := ami.Message{Fields: []ami.Field{{Key: "Event", Value: "AsyncAGIStart"}}}
	for range 10 {
		a.Handle(ami.Delivery{Kind: ami.DeliveryEvent, Msg: m})
	}
	if st := a.Stats(); st.Started != 10 || st.Dropped != 6 {
		t.Errorf("stats %+v", st)
	}
}

func TestAsyncActionRefused(t *testing.T) {
	conn := &recordingConn{err: ami.ErrPermissionDenied}
	a, sk := runAsync(t, conn, withArgs(t, asyncCap(t), "qos", "emergency"))
	// The class is recorded (the call is what it is); the answer failed.
	if st := a.Stats(); st.Failed != 1 || st.Answered != 0 || len(sk.classified()) != 1 || len(conn.actions()) != 1 {
		t.Errorf("stats %+v, actions %d", st, len(conn.actions()))
	}
}

func asyncCap(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(asyncCapture)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
