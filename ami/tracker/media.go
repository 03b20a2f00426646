package tracker

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// Answer feeds the response to a request (err is the action's error, if
// any) and returns the lifecycle events it causes.
func (t *Tracker) Answer(req Request, resp ami.Response, err error, now time.Time) []Event {
	return t.AnswerContext(context.Background(), req, resp, err, now)
}

// AnswerContext is Answer for owners that can be stopped: a resync of a
// large server stops early when ctx ends.
func (t *Tracker) AnswerContext(ctx context.Context, req Request, resp ami.Response, err error, now time.Time) []Event {
	switch req.Kind {
	case KindGetvar:
		return t.answerGetvar(req, resp, err, now)
	case KindStatus:
		return t.answerStatus(req, resp, err, now)
	case KindResync:
		if err != nil {
			return nil
		}
		return t.resync(ctx, req, resp.Events, now)
	case KindOriginate:
		if err == nil {
			return nil // success: OriginateResponse (async) or channel events follow
		}
		msg := resp.Get("Message")
		if msg == "" {
			msg = err.Error()
		}
		return []Event{OriginateResult{Header: t.header("", now), ActionID: req.ActionID, Channel: req.Channel, Message: msg}}
	}
	return nil
}

// legFor finds the leg a request was about: by Uniqueid for the
// tracker's own requests; by channel name for requests rebuilt from a
// capture's actions (replays), which are few, so a scan does.
func (t *Tracker) legFor(req Request) *leg {
	if req.Leg != "" {
		return t.legs.get(req.Leg)
	}
	if req.Channel == "" {
		return nil
	}
	for l := range t.legs.all() {
		if l.channel() == req.Channel {
			return l
		}
	}
	return nil
}

func (t *Tracker) answerGetvar(req Request, resp ami.Response, err error, now time.Time) []Event {
	if t.opt.ClassVariable != "" && req.Variable == t.opt.ClassVariable {
		return t.answerClass(req, resp, err, now)
	}
	unicastVar := req.Variable == VarUnicastLocalAddress || req.Variable == VarUnicastLocalPort
	if req.Variable != VarRTPDest && req.Variable != VarRTPSrc && req.Variable != VarRTPDirect && !unicastVar {
		return nil
	}
	l := t.legFor(req)
	if l == nil {
		return nil
	}
	if isUnicast(l) != unicastVar {
		// CHANNEL(rtp,...) of an external media channel (empty), or its
		// variables read on another channel: nothing to learn.
		return nil
	}
	if req.Variable == VarRTPDirect {
		return t.answerDirect(l, strings.TrimSpace(resp.Get("Value")), err, now)
	}
	pending := &l.destPending
	if req.Variable == VarRTPSrc || req.Variable == VarUnicastLocalPort {
		pending = &l.srcPending
	}
	v := strings.TrimSpace(resp.Get("Value"))
	if err != nil || v == "" {
		// Empty before answer is normal; empty after answer can be a
		// race with media setup: ask again, a bounded number of times.
		retry := !errors.Is(err, ami.ErrNoSuchChannel) && l.answered && !t.opt.Passive &&
			int(l.tries) < t.opt.GetvarRetries*2
		if retry {
			l.tries++
			req.Delay = t.opt.RetryDelay * time.Duration(l.tries)
			t.reqs = append(t.reqs, req)
			return nil
		}
		*pending = false
		return t.mediaEvents(l, now)
	}
	*pending = false
	if unicastVar {
		setUnicastLocal(l, req.Variable, v)
		return t.mediaEvents(l, now)
	}
	ap, perr := netip.ParseAddrPort(v)
	if perr == nil {
		if req.Variable == VarRTPDest {
			l.setRemote(ap)
		} else {
			l.setLocal(ap)
		}
	}
	return t.mediaEvents(l, now)
}

// maxClassName bounds a class name read from a channel variable.
const maxClassName = 64

// answerClass reports the class the dialplan set on a leg; an unset,
// unknown or oversized value says nothing.
func (t *Tracker) answerClass(req Request, resp ami.Response, err error, now time.Time) []Event {
	l := t.legFor(req)
	v := strings.TrimSpace(resp.Get("Value"))
	if l == nil || err != nil || v == "" || len(v) > maxClassName || (t.opt.KnownClass != nil && !t.opt.KnownClass(v)) {
		return nil
	}
	return []Event{Classified{Header: t.header(l.call.id, now), Uniqueid: l.uid(), Class: t.names.get(v)}}
}

// answerDirect records whether the leg's media runs direct. Asterisk
// answers the address of the peer phone, or "(null)" (an unset address)
// while it anchors the media; an error (the leg hung up) means anchored
// too, and its hangup follows.
func (t *Tracker) answerDirect(l *leg, v string, err error, now time.Time) []Event {
	l.directPending = false
	ap, perr := netip.ParseAddrPort(v)
	switch {
	case err == nil && perr == nil && ap.Port() != 0 && !ap.Addr().IsUnspecified():
		if a := l.alt(); a == nil || !a.direct || a.local != ap {
			l.setAlt(&altMedia{local: ap, direct: true})
			l.reported = false
		}
	case l.alt() != nil && l.alt().direct:
		l.setAlt(nil)
		l.reported = false
	}
	return t.mediaEvents(l, now)
}

func (t *Tracker) answerStatus(req Request, resp ami.Response, err error, now time.Time) []Event {
	var evs []Event
	for _, ev := range resp.Events {
		l := t.legs.get(ev.Get("Uniqueid"))
		if l == nil {
			continue
		}
		if c := codecOf(ev); c != "" && c != l.codec {
			l.codec, l.reported = t.names.get(c), false
		}
		l.statusPending = false
		evs = append(evs, t.mediaEvents(l, now)...)
	}
	if l := t.legFor(req); l != nil && l.statusPending {
		l.statusPending = false
		evs = append(evs, t.mediaEvents(l, now)...)
	}
	_ = err // an error (No such channel) only ends the wait
	return evs
}

// codecOf reads the codec on the leg's wire from a Status event.
//
// Nativeformats is what the endpoint sends and receives: "(ulaw)" on an
// answered pjsip leg. Readformat and Writeformat are the core's side of
// the channel; when Asterisk transcodes (a PCMA leg bridged to a PCMU one)
// they hold the peer's codec, with the translation in Readtrans
// ("(alaw@8000)->(ulaw@8000)": wire first) and Writetrans (wire last), so
// they must not size a meter. With several native formats, the one a
// translation path starts or ends at, or else the untranslated read or
// write format, is the one in use; failing that, the first.
func codecOf(m ami.Message) string {
	natives := formatList(m.Get("Nativeformats"))
	if len(natives) == 1 {
		return natives[0]
	}
	candidates := []string{
		transEnd(m.Get("Writetrans"), false), transEnd(m.Get("Readtrans"), true),
	}
	if strings.TrimSpace(m.Get("Writetrans")) == "" {
		candidates = append(candidates, format(m.Get("Writeformat")))
	}
	if strings.TrimSpace(m.Get("Readtrans")) == "" {
		candidates = append(candidates, format(m.Get("Readformat")))
	}
	for _, c := range candidates {
		if c != "" && (len(natives) == 0 || slices.Contains(natives, c)) {
			return c
		}
	}
	if len(natives) > 0 {
		return natives[0]
	}
	return ""
}

// formatList splits a format capability such as "(ulaw|alaw)".
func formatList(v string) []string {
	var out []string
	for f := range strings.SplitSeq(strings.Trim(strings.TrimSpace(v), "()"), "|") {
		if f = format(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// format cleans one format name; "nothing" (no format) gives "".
func format(v string) string {
	v = strings.Trim(strings.TrimSpace(v), "()")
	if v == "nothing" {
		return ""
	}
	return v
}

// transEnd returns the first (first true) or last format of a translation
// path such as "(ulaw@8000)->(slin@8000)->(alaw@8000)", without its rate.
func transEnd(path string, first bool) string {
	steps := strings.Split(strings.TrimSpace(path), "->")
	step := steps[len(steps)-1]
	if first {
		step = steps[0]
	}
	name, _, _ := strings.Cut(strings.Trim(strings.TrimSpace(step), "()"), "@")
	return format(name)
}

// mediaEvents emits MediaKnown when a leg's addresses are complete, no
// answer is outstanding, and something changed since the last one.
func (t *Tracker) mediaEvents(l *leg, at time.Time) []Event {
	if isUnicast(l) {
		return t.unicastEvents(l, at)
	}
	if l.destPending || l.srcPending || l.statusPending {
		return nil
	}
	h := t.header(l.call.id, at)
	if !l.remoteIP.IsValid() || !l.localIP.IsValid() {
		if inf := l.alt(); inf != nil && !inf.direct && l.codec != inf.codec {
			inf.codec = l.codec
			return []Event{MediaKnown{Header: h, Leg: l.info(), Local: inf.local, Remote: inf.remote, Codec: inf.codec, Source: SourceRTCP}}
		}
		return nil
	}
	if l.reported {
		return nil
	}
	l.reported = true
	mk := MediaKnown{Header: h, Leg: l.info(), Local: l.local(), Remote: l.remote(), Codec: l.codec, Source: SourceGetvar}
	if a := l.alt(); a != nil && a.direct {
		mk.Local, mk.Direct = a.local, true
	} else {
		l.setAlt(nil) // Getvar's answers replace what RTCP suggested
	}
	return []Event{mk}
}

// clockRate returns the RTP clock rate of a codec, for jitter units.
func clockRate(codec string) int {
	switch {
	case strings.HasPrefix(codec, "opus"):
		return 48000
	case codec == "slin16" || codec == "speex16" || codec == "siren7":
		return 16000
	case codec == "siren14":
		return 32000
	}
	return 8000 // ulaw, alaw, gsm, g729, g722 (8 kHz RTP clock), ilbc
}

func (t *Tracker) onRTCP(m ami.Message, at time.Time) []Event {
	l, evs := t.ensure(m, "", at, false)
	if l == nil {
		return evs
	}
	to, _ := netip.ParseAddrPort(m.Get("To"))
	from, _ := netip.ParseAddrPort(m.Get("From"))
	q := QualityReport{Header: t.header(l.call.id, at), Leg: l.info()}
	if m.Event() == "RTCPSent" {
		q.Direction, q.RTCPLocal, q.RTCPRemote = "sent", from, to
	} else {
		q.Direction, q.RTCPLocal, q.RTCPRemote = "received", to, from
	}
	q.Confirmed = rtcpMatches(l.local(), q.RTCPLocal) && rtcpMatches(l.remote(), q.RTCPRemote)
	q.Block, q.FractionLost, q.CumulativeLost, q.Jitter = reportBlock(m, clockRate(l.codec))
	if q.Block && q.Direction == "received" {
		lsr, err := strconv.ParseUint(m.Get("Report0LSR"), 10, 32)
		rtt, err2 := strconv.ParseFloat(m.Get("RTT"), 64)
		if err == nil && lsr != 0 && err2 == nil && rtt >= 0 && rtt <= maxRTT {
			q.RTTKnown, q.RTT = true, time.Duration(rtt*float64(time.Second))
		}
	}
	if v, err := strconv.ParseFloat(m.Get("MES"), 64); err == nil && v >= 0 && v <= 100 {
		q.MES = v
	}

	// With no Getvar answer (replays, or a server refusing Getvar), the
	// RTCP addresses are the best evidence of the media path.
	if !l.remoteIP.IsValid() && !l.destPending && !l.srcPending && l.alt() == nil &&
		q.RTCPLocal.IsValid() && q.RTCPRemote.IsValid() {
		inf := l.setAlt(&altMedia{local: rtpFromRTCP(q.RTCPLocal), remote: rtpFromRTCP(q.RTCPRemote), codec: l.codec})
		l.reported = false
		evs = append(evs, MediaKnown{Header: q.Header, Leg: l.info(), Local: inf.local, Remote: inf.remote, Codec: inf.codec, Source: SourceRTCP})
	}
	return append(evs, q)
}

// maxRTT bounds a believable round trip; anything longer is a garbled
// field, not a network.
const maxRTT = 60 // seconds

// reportBlock reads an RTCP event's first reception report block (RFC 3550
// §6.4.1) as Asterisk prints it. Fields outside their wire ranges (an 8-bit
// fraction, a 24-bit signed count, a 32-bit jitter) mean the event is not
// what Asterisk sends, and the block is ignored rather than fed into the
// quality histograms.
func reportBlock(m ami.Message, clock int) (ok bool, lost float64, cumLost int, jitter time.Duration) {
	f, ok1 := m.Int("Report0FractionLost")
	c, ok2 := m.Int("Report0CumulativeLost")
	j, ok3 := m.Int("Report0IAJitter")
	if !ok1 || !ok2 || !ok3 || f < 0 || f > 255 || c < -1<<23 || c >= 1<<23 || j < 0 || int64(j) > 1<<32-1 {
		return false, 0, 0, 0
	}
	return true, float64(f) / 256, c, time.Duration(float64(j) / float64(clock) * float64(time.Second))
}

// rtcpMatches: RTCP on RTP+1, or on the RTP port itself (rtcp-mux).
func rtcpMatches(rtp, rtcp netip.AddrPort) bool {
	return rtp.IsValid() && rtcp.IsValid() && rtp.Addr() == rtcp.Addr() &&
		(rtcp.Port() == rtp.Port()+1 || rtcp.Port() == rtp.Port())
}

// rtpFromRTCP infers the RTP address: RTP ports are even and RTCP sits on
// the next odd port; an even RTCP port suggests rtcp-mux.
func rtpFromRTCP(ap netip.AddrPort) netip.AddrPort {
	if ap.Port()%2 == 1 {
		return netip.AddrPortFrom(ap.Addr(), ap.Port()-1)
	}
	return ap
}
