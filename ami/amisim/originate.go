package amisim

import (
	"strconv"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// originate handles Originate of "PJSIP/<endpoint>": the endpoint rings
// for a second and answers; endpoints named "nosuch*" or listed nowhere
// when Options.Endpoints is set fail, as an unreachable one does (Reason
// 0), and those in Options.OriginateReasons fail with their reason.
func (s *Server) originate(c *session, m ami.Message, id string) {
	target := m.Get("Channel")
	ep, ok := strings.CutPrefix(target, "PJSIP/")
	async := strings.EqualFold(m.Get("Async"), "true") || strings.EqualFold(m.Get("Async"), "yes")
	s.mu.Lock()
	defer s.mu.Unlock()
	phone, known := s.opt.Endpoints[ep]
	fail := !ok || ep == "" || strings.HasPrefix(ep, "nosuch") || (s.opt.Endpoints != nil && !known)
	reason, scripted := s.opt.OriginateReasons[ep]
	if fail || scripted {
		if !async {
			c.send(response("Error", id).add("Message", "Originate failed").bytes(), false)
			return
		}
		c.send(response("Success", id).add("Message", "Originate successfully queued").bytes(), false)
		e := s.event("OriginateResponse", classCall).add("ActionID", id).add("Response", "Failure").
			add("Channel", target).add("Context", m.Get("Context")).add("Exten", m.Get("Exten")).
			add("Reason", strconv.Itoa(reason)).add("Uniqueid", "<unknown>").add("CallerIDNum", "<unknown>").add("CallerIDName", "<unknown>")
		s.broadcast(classCall, e.bytes())
		return
	}
	call := &simCall{spec: CallSpec{From: ep, To: m.Get("Exten"), Codec: "ulaw"}, codec: "ulaw"}
	ch := s.newChan(call, ep, stateDown, m.Get("Exten"))
	ch.linkedid, ch.app, ch.phone = ch.uid, "AppDial2", phone
	call.caller, call.id = ch, ch.uid
	s.calls[call.id] = call
	s.placed.Add(1)
	if async {
		c.send(response("Success", id).add("Message", "Originate successfully queued").bytes(), false)
	}
	s.broadcast(classCall, s.chanEvent("Newchannel", ch).bytes())
	s.newState(ch, stateRinging)
	s.after(call, time.Second, func() {
		s.newState(ch, stateUp)
		e := s.event("OriginateResponse", classCall).add("ActionID", id).add("Response", "Success").
			add("Channel", ch.name).add("Context", m.Get("Context")).add("Exten", m.Get("Exten")).
			add("Reason", "4").add("Uniqueid", ch.uid).add("CallerIDNum", ep).add("CallerIDName", ep)
		s.broadcast(classCall, e.bytes())
		if !async {
			c.send(response("Success", id).add("Message", "Originate successfully queued").bytes(), false)
		}
		if iv := s.opt.RTCPInterval; iv > 0 {
			s.scheduleRTCP(call, iv)
		}
	})
}

// scheduleRTCP emits an RTCPReceived/RTCPSent pair per answered leg
// every interval, with the leg's RTCP addresses (RTP port + 1).
func (s *Server) scheduleRTCP(c *simCall, iv time.Duration) {
	s.after(c, iv, func() {
		c.rtcpSeq++
		for _, ch := range []*simChan{c.caller, c.callee} {
			if ch == nil || ch.hungup || ch.state != stateUp || !ch.phone.IsValid() || ch.directPeer() != nil {
				continue
			}
			local := ch.local.Addr().String() + ":" + strconv.Itoa(int(ch.local.Port())+1)
			remote := ch.phone.Addr().String() + ":" + strconv.Itoa(int(ch.phone.Port())+1)
			// As Asterisk does: the first reports echo no sender report
			// yet (LSR 0, and RTT printed as 0), later ones do.
			pk, octets := strconv.Itoa(250*c.rtcpSeq), strconv.Itoa(40000*c.rtcpSeq)
			lsr, dlsr, rtt := "0", "0.0000", "0.0000"
			if c.rtcpSeq > 1 {
				lsr, dlsr, rtt = strconv.Itoa(2920947154+327680*c.rtcpSeq), "4.9930", "0.0001"
			}
			s.broadcast(classReporting, s.event("RTCPReceived", classReporting).chanFields("", ch).
				add("To", local).add("From", remote).add("RTT", rtt).add("MES", "88.1").
				add("SSRC", "0x1a2b3c4d").add("PT", "200(SR)").add("ReportCount", "1").
				add("SentNTP", "1795501978.116499").add("SentRTP", strconv.Itoa(40000*c.rtcpSeq)).
				add("SentPackets", pk).add("SentOctets", octets).
				add("Report0SourceSSRC", "0x5e6f7a8b").add("Report0FractionLost", "0").
				add("Report0CumulativeLost", "0").add("Report0HighestSequence", strconv.Itoa(6000+250*c.rtcpSeq)).
				add("Report0SequenceNumberCycles", "0").add("Report0IAJitter", "16").
				add("Report0LSR", lsr).add("Report0DLSR", dlsr).bytes())
			s.broadcast(classReporting, s.event("RTCPSent", classReporting).chanFields("", ch).
				add("To", remote).add("From", local).add("MES", "88.1").
				add("SSRC", "0x5e6f7a8b").add("PT", "200(SR)").add("ReportCount", "1").
				add("SentNTP", "1795501978.124060").add("SentRTP", "0").
				add("SentPackets", pk).add("SentOctets", octets).
				add("Report0SourceSSRC", "0x1a2b3c4d").add("Report0FractionLost", "0").
				add("Report0CumulativeLost", "0").add("Report0HighestSequence", strconv.Itoa(25000+250*c.rtcpSeq)).
				add("Report0SequenceNumberCycles", "0").add("Report0IAJitter", "14").
				add("Report0LSR", lsr).add("Report0DLSR", dlsr).bytes())
		}
		s.scheduleRTCP(c, iv)
	})
}
