package tracker

import (
	"fmt"
	"io"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// Replay feeds a raw AMI capture (what a server sent) through the parser
// and a passive Tracker, calling emit for every lifecycle event. If sent
// (what the client sent in that session) is not nil, responses are matched
// to its actions by ActionID, so Getvar, Status, CoreShowChannels and
// Originate answers in the capture reach the tracker as if it had asked.
// It returns the tracker, for inspection of what is still open.
func Replay(capture, sent io.Reader, server string, emit func(Event)) (*Tracker, error) {
	t := New(Options{Server: server, Passive: true})
	corr := ami.NewCorrelator()
	actions := map[string]ami.Action{}
	if sent != nil {
		msgs, err := ami.ReadAll(sent, 0)
		if err != nil {
			return t, fmt.Errorf("sent: %w", err)
		}
		for _, m := range msgs {
			if m.Kind() != ami.KindAction {
				continue
			}
			id := m.ActionID()
			actions[id] = ami.ActionFromMessage(m)
			corr.Expect(id)
		}
	}
	rd := ami.NewReader(capture, 0)
	var last time.Time
	for n := 1; ; n++ {
		m, err := rd.ReadMessage()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return t, fmt.Errorf("capture: message %d: %w", n, err)
		}
		route, id, resp := corr.Feed(m)
		switch route {
		case ami.RouteEvent:
			last = eventTime(m, last)
			for _, ev := range t.Apply(m, last) {
				emit(ev)
			}
		case ami.RouteDone:
			req, ok := RequestFromAction(actions[id], t.Seq())
			if !ok {
				continue
			}
			for _, ev := range t.Answer(req, resp, resp.Err(), eventTime(resp.Message, last)) {
				emit(ev)
			}
		}
	}
}
