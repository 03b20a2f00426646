package amisim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Script is the JSON call script of cmd/amisim:
//
//	{"calls": [{"at": "0s", "from": "201", "to": "202",
//	  "from_rtp": "10.254.0.201:20000", "to_rtp": "10.254.0.202:20002",
//	  "codec": "ulaw", "callee_codec": "alaw", "outcome": "answer", "answer_after": "2s",
//	  "hold": "25s", "callee_hangs_up": false, "direct_media": false}]}
type Script struct {
	Calls []ScriptCall `json:"calls"`
}

// ScriptCall is one call of a Script; durations use Go syntax ("1.5s").
type ScriptCall struct {
	At            string `json:"at"`
	From          string `json:"from"`
	To            string `json:"to"`
	FromRTP       string `json:"from_rtp"`
	ToRTP         string `json:"to_rtp"`
	Codec         string `json:"codec"`
	CalleeCodec   string `json:"callee_codec"` // differs from codec: the PBX transcodes
	Outcome       string `json:"outcome"`
	AnswerAfter   string `json:"answer_after"`
	Hold          string `json:"hold"`
	CalleeHangsUp bool   `json:"callee_hangs_up"`
	DirectMedia   bool   `json:"direct_media"`
	// Vars: channel variables on the caller's channel.
	Vars map[string]string `json:"vars,omitempty"`
}

// TimedCall is a CallSpec with its start offset.
type TimedCall struct {
	At   time.Duration
	Spec CallSpec
}

// ParseScript reads and validates a script. Errors name the call.
func ParseScript(r io.Reader) ([]TimedCall, error) {
	var sc Script
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	out := make([]TimedCall, 0, len(sc.Calls))
	for i, c := range sc.Calls {
		tc, err := c.timed()
		if err != nil {
			return nil, fmt.Errorf("script: calls.%d: %w", i, err)
		}
		out = append(out, tc)
	}
	return out, nil
}

func (c ScriptCall) timed() (TimedCall, error) {
	dur := func(name, v string) (time.Duration, error) {
		if v == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return d, nil
	}
	addr := func(name, v string) (netip.AddrPort, error) {
		if v == "" {
			return netip.AddrPort{}, nil
		}
		a, err := netip.ParseAddrPort(v)
		if err != nil {
			return a, fmt.Errorf("%s: %w", name, err)
		}
		return a, nil
	}
	var tc TimedCall
	var err error
	if tc.At, err = dur("at", c.At); err != nil {
		return tc, err
	}
	s := CallSpec{From: c.From, To: c.To, Codec: c.Codec, CalleeCodec: c.CalleeCodec, Outcome: Outcome(c.Outcome), CalleeHangsUp: c.CalleeHangsUp, DirectMedia: c.DirectMedia, Vars: c.Vars}
	if s.From == "" || s.To == "" {
		return tc, fmt.Errorf("from and to are required")
	}
	switch s.Outcome {
	case "", Answer, Busy, NoAnswer, Cancel, Unavailable:
	default:
		return tc, fmt.Errorf("outcome %q: want answer, busy, noanswer, cancel or unavailable", c.Outcome)
	}
	if s.FromRTP, err = addr("from_rtp", c.FromRTP); err != nil {
		return tc, err
	}
	if s.ToRTP, err = addr("to_rtp", c.ToRTP); err != nil {
		return tc, err
	}
	if s.AnswerAfter, err = dur("answer_after", c.AnswerAfter); err != nil {
		return tc, err
	}
	if s.Hold, err = dur("hold", c.Hold); err != nil {
		return tc, err
	}
	tc.Spec = s
	return tc, nil
}

// RunScript places each call at its offset from now until ctx ends.
func (s *Server) RunScript(ctx context.Context, calls []TimedCall) error {
	start := time.Now()
	for _, c := range calls {
		if wait := time.Until(start.Add(c.At)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if _, err := s.PlaceCall(c.Spec); err != nil {
			return err
		}
	}
	return nil
}

// Load describes a generated load: Rate calls per second for Duration,
// each answered after AnswerAfter and held for Hold.
type Load struct {
	Rate        float64
	Duration    time.Duration
	AnswerAfter time.Duration
	Hold        time.Duration
}

// RunLoad places calls at the load's rate until its duration or ctx
// ends, and returns how many it placed. Phones get distinct addresses in
// 10.1.0.0/16 and 10.2.0.0/16.
func (s *Server) RunLoad(ctx context.Context, l Load) (int, error) {
	if l.Rate <= 0 {
		return 0, fmt.Errorf("amisim: load rate must be positive")
	}
	if l.AnswerAfter <= 0 {
		l.AnswerAfter = 100 * time.Millisecond
	}
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	placed := 0
	for {
		elapsed := time.Since(start)
		finished := l.Duration > 0 && elapsed >= l.Duration
		if finished {
			elapsed = l.Duration
		}
		due := int(elapsed.Seconds() * l.Rate)
		for ; placed < due; placed++ {
			n := placed
			spec := CallSpec{
				From: fmt.Sprintf("u%d", n%10000), To: fmt.Sprintf("v%d", n%10000),
				FromRTP:     netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte((n + 1) >> 8), byte(n + 1)}), uint16(20000+2*(n%1000))),
				ToRTP:       netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte((n + 1) >> 8), byte(n + 1)}), uint16(30000+2*(n%1000))),
				AnswerAfter: l.AnswerAfter, Hold: l.Hold,
			}
			if _, err := s.PlaceCall(spec); err != nil {
				return placed, err
			}
		}
		if finished {
			return placed, nil
		}
		select {
		case <-ctx.Done():
			return placed, ctx.Err()
		case <-tick.C:
		}
	}
}
