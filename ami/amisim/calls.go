package amisim

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"time"
)

// Outcome is how a simulated call ends its dialling.
type Outcome string

// Outcomes, with the Dial status and hangup cause Asterisk gives them.
const (
	Answer      Outcome = "answer"      // ANSWER, 16 Normal Clearing
	Busy        Outcome = "busy"        // BUSY, 17 User busy
	NoAnswer    Outcome = "noanswer"    // NOANSWER after AnswerAfter
	Cancel      Outcome = "cancel"      // caller gives up: CANCEL, 127
	Unavailable Outcome = "unavailable" // no callee channel; CHANUNAVAIL, 3
)

// CallSpec describes one call: From dials To through the PBX.
type CallSpec struct {
	From, To string // endpoint names, e.g. "201", "202"
	// FromRTP and ToRTP are the phones' RTP addresses (what
	// CHANNEL(rtp,dest) returns on each leg once answered).
	FromRTP, ToRTP netip.AddrPort
	Codec          string // default "ulaw"; the caller's wire codec
	// CalleeCodec is the callee leg's wire codec (default Codec). When it
	// differs, Asterisk transcodes: each leg's Status then shows its own
	// codec in Nativeformats and the other leg's in Readformat and
	// Writeformat, with the translation paths in Readtrans and Writetrans,
	// as a real Asterisk 22 shows a PCMA leg bridged to a PCMU one.
	CalleeCodec string
	Outcome     Outcome // default Answer
	// AnswerAfter: from placement to answer, or to giving up for
	// NoAnswer and Cancel (default 1 s).
	AnswerAfter time.Duration
	// Hold: from answer to hangup; 0 means until Hangup is called.
	Hold time.Duration
	// CalleeHangsUp: the callee ends the call instead of the caller.
	CalleeHangsUp bool
	// DirectMedia: once both legs are bridged, the phones send media to
	// each other (pjsip direct_media = yes): CHANNEL(rtp,direct) on each
	// leg gives the other phone's RTP address, and Asterisk, out of the
	// media path, sends no RTCP events for the call. Without it the
	// variable reads "(null)", as Asterisk prints an unset address.
	DirectMedia bool
	// Vars are channel variables the dialplan set on the caller's channel
	// (e.g. VOIPSDN_QOS_CLASS), as Getvar reads them.
	Vars map[string]string
	// AsyncAGI, when not nil, runs AGI(agi:async,AsyncAGI...) on the
	// caller's channel as soon as it exists (AsyncAGIStart); Action: AGI
	// then works on it until ASYNCAGI BREAK.
	AsyncAGI []string
}

type simCall struct {
	id      string // Linkedid
	spec    CallSpec
	codec   string
	caller  *simChan
	callee  *simChan
	bridge  string
	timers  []*time.Timer
	ended   bool
	rtcpSeq int
	// held: the caller put the call on hold; a direct-media call then
	// runs through Asterisk (music on hold) until unheld.
	held bool
}

type simChan struct {
	call     *simCall
	name     string
	uid      string
	linkedid string
	state    chanState
	cidNum   string
	cidName  string
	connNum  string
	connName string
	exten    string
	app      string
	created  time.Time
	phone    netip.AddrPort // remote RTP
	local    netip.AddrPort // PBX RTP
	hungup   bool
	codec    string            // on the wire between the phone and Asterisk
	vars     map[string]string // set by AGI commands
	asyncAGI bool              // in AsyncAGI: Action: AGI is accepted
	agiData  string            // AGI's application data ("agi:async,qos,...")
}

// appData is the argument of the channel's application, as Status shows it.
func (ch *simChan) appData() string {
	switch ch.app {
	case "Dial":
		return "PJSIP/" + ch.call.spec.To + ",30"
	case "AppDial":
		return "(Outgoing Line)"
	}
	return ""
}

// formats returns what Status shows for a channel's formats: its own codec
// natively, and, while the bridge transcodes, the peer's codec as the
// core's read and write formats with the translation paths between them.
func (ch *simChan) formats() (native, read, readTrans, write, writeTrans string) {
	native, read, write = ch.codec, ch.codec, ch.codec
	o := ch.call.other(ch)
	if o == nil || ch.bridge() == "" || o.codec == ch.codec {
		return native, read, "", write, ""
	}
	read, write = o.codec, o.codec
	mine, theirs := withRate(ch.codec), withRate(o.codec)
	return native, read, "(" + mine + ")->(" + theirs + ")", write, "(" + theirs + ")->(" + mine + ")"
}

// withRate is a codec as Asterisk names it in a translation path.
func withRate(codec string) string {
	switch codec {
	case "g722", "slin16":
		return codec + "@16000"
	case "opus":
		return codec + "@48000"
	}
	return codec + "@8000"
}

func (ch *simChan) bridge() string {
	if ch.call.bridge != "" && ch.state == stateUp {
		return ch.call.bridge
	}
	return ""
}

// directPeer is the channel ch sends its media to directly, nil while the
// media is anchored.
func (ch *simChan) directPeer() *simChan {
	c := ch.call
	if !c.spec.DirectMedia || c.held || ch.bridge() == "" || !ch.phone.IsValid() {
		return nil
	}
	o := c.other(ch)
	if o == nil || o.bridge() == "" || !o.phone.IsValid() {
		return nil
	}
	return o
}

// variable answers Getvar on a live channel: media only once answered,
// as the captures show.
func (ch *simChan) variable(v string) string {
	switch v {
	case "CHANNEL(rtp,dest)", "CHANNEL(rtp,dest,audio)":
		if ch.state == stateUp && ch.phone.IsValid() {
			return ch.phone.String()
		}
	case "CHANNEL(rtp,src)", "CHANNEL(rtp,src,audio)":
		if ch.state == stateUp && ch.phone.IsValid() {
			return ch.local.String()
		}
	case "CHANNEL(rtp,direct)", "CHANNEL(rtp,direct,audio)":
		if p := ch.directPeer(); p != nil {
			return p.phone.String()
		}
		if ch.state == stateUp && ch.phone.IsValid() {
			return "(null)"
		}
	case "CHANNEL(uniqueid)":
		return ch.uid
	case "CHANNEL(linkedid)":
		return ch.linkedid
	case "BRIDGEPEER":
		if ch.bridge() != "" {
			if ch == ch.call.caller && ch.call.callee != nil {
				return ch.call.callee.name
			}
			return ch.call.caller.name
		}
	default:
		if v, ok := ch.vars[v]; ok {
			return v
		}
		if ch == ch.call.caller {
			return ch.call.spec.Vars[v]
		}
	}
	return ""
}

// after runs f under s.mu after d, unless the call ended or the server
// closed.
func (s *Server) after(c *simCall, d time.Duration, f func()) {
	if s.closed {
		return
	}
	s.timers.Add(1)
	t := time.AfterFunc(d, func() {
		defer s.timers.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		if c.ended || s.closed {
			return
		}
		f()
	})
	c.timers = append(c.timers, t)
}

// stopTimers stops the call's pending phases. A stopped timer never runs
// its func, so its WaitGroup slot is released here.
func (c *simCall) stopTimers(s *Server) {
	for _, t := range c.timers {
		if t.Stop() {
			s.timers.Done()
		}
	}
	c.timers = nil
}

func (s *Server) newChan(c *simCall, endpoint string, state chanState, exten string) *simChan {
	s.chanSeq++
	s.uidSeq++
	ch := &simChan{
		call: c, name: fmt.Sprintf("PJSIP/%s-%08x", endpoint, s.chanSeq),
		uid:   strconv.FormatInt(s.epoch, 10) + "." + strconv.FormatUint(s.uidSeq, 10),
		state: state, cidNum: endpoint, cidName: endpoint, connNum: "<unknown>", connName: "<unknown>",
		exten: exten, created: s.now(), codec: c.codec,
	}
	s.portSeq = (s.portSeq + 1) % 500
	ch.local = netip.AddrPortFrom(s.opt.PBXAddr, uint16(s.opt.RTPPortBase+2*s.portSeq))
	s.chans[ch.name] = ch
	return ch
}

func (s *Server) chanEvent(name string, ch *simChan) *msg {
	return s.event(name, classCall).chanFields("", ch)
}

func (s *Server) varSet(ch *simChan, name, value string) {
	s.broadcast(classCall, s.chanEvent("VarSet", ch).add("Variable", name).add("Value", value).bytes())
}

func (s *Server) dialEvent(name string, c *simCall, status string) {
	e := s.chanEvent(name, c.caller).chanFields("Dest", c.callee)
	if name == "DialBegin" {
		e.add("DialString", c.spec.To)
	} else {
		e.add("DialStatus", status)
	}
	s.broadcast(classCall, e.bytes())
}

func (s *Server) newState(ch *simChan, st chanState) {
	ch.state = st
	s.broadcast(classCall, s.chanEvent("Newstate", ch).bytes())
}

// ErrClosed is returned after Serve has ended.
var ErrClosed = errors.New("amisim: server closed")

// PlaceCall starts a call and returns its id (the Linkedid).
func (s *Server) PlaceCall(spec CallSpec) (string, error) {
	if spec.From == "" || spec.To == "" {
		return "", errors.New("amisim: call needs From and To")
	}
	if spec.Codec == "" {
		spec.Codec = "ulaw"
	}
	if spec.CalleeCodec == "" {
		spec.CalleeCodec = spec.Codec
	}
	if spec.Outcome == "" {
		spec.Outcome = Answer
	}
	if spec.AnswerAfter <= 0 {
		spec.AnswerAfter = time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrClosed
	}
	c := &simCall{spec: spec, codec: spec.Codec}
	c.caller = s.newChan(c, spec.From, stateRing, spec.To)
	c.caller.linkedid, c.caller.app = c.caller.uid, "Dial"
	c.caller.phone, c.caller.codec = spec.FromRTP, spec.Codec
	c.id = c.caller.uid
	s.calls[c.id] = c
	s.placed.Add(1)
	s.broadcast(classCall, s.chanEvent("Newchannel", c.caller).bytes())
	s.varSet(c.caller, "DIALSTATUS", "")
	if spec.AsyncAGI != nil {
		s.startAsyncAGI(c.caller, spec.AsyncAGI)
	}
	if spec.Outcome == Unavailable {
		s.after(c, 10*time.Millisecond, func() {
			s.varSet(c.caller, "DIALSTATUS", "CHANUNAVAIL")
			s.hangupSeq(c, c.caller, 3, "No route to destination")
		})
		return c.id, nil
	}
	c.callee = s.newChan(c, spec.To, stateDown, "s")
	c.callee.linkedid, c.callee.app = c.id, "AppDial"
	c.callee.phone, c.callee.codec = spec.ToRTP, spec.CalleeCodec
	c.callee.cidNum, c.callee.cidName = spec.To, spec.To
	s.broadcast(classCall, s.chanEvent("Newchannel", c.callee).bytes())
	s.dialEvent("DialBegin", c, "")
	if spec.Outcome == Busy {
		s.after(c, 5*time.Millisecond, func() {
			s.dialEvent("DialEnd", c, "BUSY")
			s.varSet(c.caller, "DIALSTATUS", "BUSY")
			s.hangupSeq(c, c.callee, 17, "User busy")
			s.hangupSeq(c, c.caller, 17, "User busy")
		})
		return c.id, nil
	}
	s.newState(c.callee, stateRinging)
	s.dialEvent("DialState", c, "RINGING")
	switch spec.Outcome {
	case NoAnswer:
		s.after(c, spec.AnswerAfter, func() {
			s.dialEvent("DialEnd", c, "NOANSWER")
			s.varSet(c.caller, "DIALSTATUS", "NOANSWER")
			s.hangupSeq(c, c.caller, 16, "Normal Clearing")
			s.hangupSeq(c, c.callee, 0, "Unknown")
		})
	case Cancel:
		s.after(c, spec.AnswerAfter, func() {
			s.dialEvent("DialEnd", c, "CANCEL")
			s.varSet(c.caller, "DIALSTATUS", "CANCEL")
			s.hangupSeq(c, c.callee, 127, "Interworking, unspecified")
			s.hangupSeq(c, c.caller, 127, "Interworking, unspecified")
		})
	default:
		s.after(c, spec.AnswerAfter, func() { s.answerLocked(c) })
	}
	return c.id, nil
}

// Hold puts an answered call on hold from the caller's side (hold true)
// or takes it off, with the Hold/Unhold event Asterisk raises on the
// caller's channel. A direct-media call is anchored while held.
func (s *Server) Hold(id string, hold bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls[id]
	if c == nil || c.caller == nil || c.caller.state != stateUp {
		return fmt.Errorf("amisim: call %s: not answered", id)
	}
	if c.held == hold {
		return nil
	}
	c.held = hold
	if hold {
		s.broadcast(classCall, s.chanEvent("Hold", c.caller).add("MusicClass", "default").bytes())
	} else {
		s.broadcast(classCall, s.chanEvent("Unhold", c.caller).bytes())
	}
	return nil
}

// Answer answers a ringing call now.
func (s *Server) Answer(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls[id]
	if c == nil || c.callee == nil || c.callee.state == stateUp {
		return fmt.Errorf("amisim: call %s: not ringing", id)
	}
	s.answerLocked(c)
	return nil
}

func (s *Server) answerLocked(c *simCall) {
	s.newState(c.callee, stateUp)
	s.varSet(c.caller, "DIALSTATUS", "ANSWER")
	s.dialEvent("DialEnd", c, "ANSWER")
	s.newState(c.caller, stateUp)
	c.bridge = fmt.Sprintf("%08x-0000-4000-8000-%012x", s.chanSeq, s.uidSeq)
	s.broadcast(classCall, s.event("BridgeCreate", classCall).add("BridgeUniqueid", c.bridge).
		add("BridgeType", "basic").add("BridgeTechnology", "simple_bridge").add("BridgeCreator", "<unknown>").
		add("BridgeName", "<unknown>").add("BridgeNumChannels", "0").add("BridgeVideoSourceMode", "none").bytes())
	for i, ch := range []*simChan{c.callee, c.caller} {
		s.broadcast(classCall, s.bridgeEvent("BridgeEnter", c, ch, i+1).bytes())
	}
	if iv := s.opt.RTCPInterval; iv > 0 {
		s.scheduleRTCP(c, iv)
	}
	if c.spec.Hold > 0 {
		s.after(c, c.spec.Hold, func() {
			first := c.caller
			if c.spec.CalleeHangsUp {
				first = c.callee
			}
			s.hangupLocked(c, first, 16)
		})
	}
}

func (s *Server) bridgeEvent(name string, c *simCall, ch *simChan, n int) *msg {
	e := s.event(name, classCall).add("BridgeUniqueid", c.bridge).add("BridgeType", "basic").
		add("BridgeTechnology", "simple_bridge").add("BridgeCreator", "<unknown>").add("BridgeName", "<unknown>").
		add("BridgeNumChannels", strconv.Itoa(n)).add("BridgeVideoSourceMode", "none")
	return e.chanFields("", ch)
}

// Hangup ends a call as if its caller hung up with cause (16 if 0).
func (s *Server) Hangup(id string, cause int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls[id]
	if c == nil {
		return fmt.Errorf("amisim: no call %s", id)
	}
	if cause == 0 {
		cause = 16
	}
	s.hangupLocked(c, c.caller, cause)
	return nil
}

// hangupLocked tears a call down starting from channel first.
func (s *Server) hangupLocked(c *simCall, first *simChan, cause int) {
	if c.ended {
		return
	}
	text := causeText(cause)
	s.broadcast(classCall, s.chanEvent("HangupRequest", first).add("Cause", strconv.Itoa(cause)).bytes())
	if c.bridge != "" {
		for i, ch := range []*simChan{first, c.other(first)} {
			if ch != nil && !ch.hungup {
				s.broadcast(classCall, s.bridgeEvent("BridgeLeave", c, ch, 1-i).bytes())
			}
		}
		s.broadcast(classCall, s.event("BridgeDestroy", classCall).add("BridgeUniqueid", c.bridge).
			add("BridgeType", "basic").add("BridgeTechnology", "simple_bridge").add("BridgeNumChannels", "0").bytes())
		c.bridge = ""
	}
	if o := c.other(first); o != nil && !o.hungup {
		s.hangupSeq(c, o, cause, text)
	}
	s.hangupSeq(c, first, cause, text)
}

func (c *simCall) other(ch *simChan) *simChan {
	if ch == c.caller {
		return c.callee
	}
	return c.caller
}

// hangupSeq sends SoftHangupRequest and Hangup for one channel and ends
// the call with its last channel.
func (s *Server) hangupSeq(c *simCall, ch *simChan, cause int, text string) {
	if ch.hungup {
		return
	}
	ch.hungup = true
	s.broadcast(classCall, s.chanEvent("SoftHangupRequest", ch).add("Cause", "16").bytes())
	s.broadcast(classCall, s.chanEvent("Hangup", ch).add("Cause", strconv.Itoa(cause)).add("Cause-txt", text).bytes())
	delete(s.chans, ch.name)
	if c.caller.hungup && (c.callee == nil || c.callee.hungup) {
		c.ended = true
		c.stopTimers(s)
		delete(s.calls, c.id)
		s.ended.Add(1)
	}
}

func causeText(cause int) string {
	switch cause {
	case 0:
		return "Unknown"
	case 3:
		return "No route to destination"
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 19:
		return "No answer"
	case 127:
		return "Interworking, unspecified"
	}
	return "Cause " + strconv.Itoa(cause)
}

// sortedChans returns live channels in creation order.
func (s *Server) sortedChans() []*simChan {
	list := make([]*simChan, 0, len(s.chans))
	for _, ch := range s.chans {
		list = append(list, ch)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].created.Equal(list[j].created) {
			return list[i].created.Before(list[j].created)
		}
		return list[i].name < list[j].name
	})
	return list
}

// ActiveCalls returns the ids of calls in progress.
func (s *Server) ActiveCalls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.calls))
	for id := range s.calls {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
