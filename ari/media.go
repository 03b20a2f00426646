package ari

import (
	"net/netip"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/call"
)

// askMedia queues the variables an answered leg's media needs and that
// are not known yet. A phone leg's addresses are CHANNEL(rtp,dest) and
// (rtp,src); an external media channel's are its UNICASTRTP_LOCAL_*
// variables (usually already delivered as ChannelVarset events) and the
// address in its name, and CHANNEL(rtp,...) fails on it (500 "Unable to
// read provided function"), so it is never asked. Local channels carry
// no media.
func (f *Follower) askMedia(l *leg, delay time.Duration) {
	if l.info.Local || !l.answered {
		return
	}
	var vars []string
	if l.unicast {
		if l.localAddr == "" {
			vars = append(vars, VarLocalAddress)
		}
		if l.localPort == "" {
			vars = append(vars, VarLocalPort)
		}
	} else {
		vars = append(vars, VarRTPDest, VarRTPSrc)
	}
	if !l.codecDone {
		vars = append(vars, VarFormat)
	}
	for _, v := range vars {
		if l.pending[v] {
			continue
		}
		if l.pending == nil {
			l.pending = map[string]bool{}
		}
		l.pending[v] = true
		f.reqs = append(f.reqs, Request{Channel: l.info.Uniqueid, Variable: v, Delay: delay})
	}
}

func (f *Follower) onVarset(l *leg, name, value string, at time.Time) []call.Event {
	switch name {
	case VarLocalAddress, VarLocalPort:
		f.setUnicastVar(l, name, value)
		return f.mediaEvents(l, at)
	}
	return nil
}

func (f *Follower) setUnicastVar(l *leg, name, value string) {
	if name == VarLocalAddress {
		l.localAddr = value
	} else {
		l.localPort = value
	}
	if l.localAddr != "" && l.localPort != "" {
		if ap, err := netip.ParseAddrPort(joinHostPort(l.localAddr, l.localPort)); err == nil && l.local != ap {
			l.local, l.reported = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), false
		}
	}
}

// joinHostPort joins an address and a port, bracketing IPv6.
func joinHostPort(addr, port string) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + port
	}
	return addr + ":" + port
}

// UnicastRemote returns the remote address in an external media
// channel's name: "UnicastRTP/10.0.100.204:40000-0x7f106c0026f0" gives
// 10.0.100.204:40000. The suffix is a pointer, not a number.
func UnicastRemote(name string) (netip.AddrPort, bool) {
	rest, ok := strings.CutPrefix(name, "UnicastRTP/")
	if !ok {
		return netip.AddrPort{}, false
	}
	i := strings.LastIndex(rest, "-")
	if i < 0 {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(rest[:i])
	if err != nil || !ap.Addr().IsValid() || ap.Port() == 0 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// Answer feeds back the value of a Request (err != nil: the PBX could not
// give it, e.g. 404 for a channel gone, 500 for a function it cannot read).
func (f *Follower) Answer(r Request, value string, err error, now time.Time) []call.Event {
	l := f.legs[r.Channel]
	if l == nil || !l.pending[r.Variable] {
		return nil
	}
	delete(l.pending, r.Variable)
	value = strings.TrimSpace(value)
	switch r.Variable {
	case VarRTPDest, VarRTPSrc:
		ap, perr := netip.ParseAddrPort(value)
		if err != nil || perr != nil || !ap.Addr().IsValid() || ap.Port() == 0 {
			// Empty until the media is set up: ask again, a few times.
			if err == nil && l.tries < f.opt.MediaRetries {
				l.tries++
				f.askMedia(l, f.opt.RetryDelay)
			}
			return nil
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if r.Variable == VarRTPDest {
			if l.remote != ap {
				l.remote, l.reported = ap, false
			}
		} else if l.local != ap {
			l.local, l.reported = ap, false
		}
	case VarFormat:
		l.codecDone = true
		if err == nil {
			if c := firstFormat(value); c != "" && c != l.codec {
				l.codec, l.reported = c, false
			}
		}
	case VarLocalAddress, VarLocalPort:
		if err == nil && value != "" {
			f.setUnicastVar(l, r.Variable, value)
		}
	}
	return f.mediaEvents(l, now)
}

// firstFormat reads a format capability: "(ulaw)" gives ulaw, "(ulaw|alaw)"
// its first, "nothing" none.
func firstFormat(v string) string {
	for p := range strings.SplitSeq(strings.Trim(strings.TrimSpace(v), "()"), "|") {
		if p = strings.TrimSpace(p); p != "" && p != "nothing" {
			return p
		}
	}
	return ""
}

// mediaEvents reports the leg's media once it is complete and not yet
// reported as it is: both addresses, and the codec answered (or given).
func (f *Follower) mediaEvents(l *leg, at time.Time) []call.Event {
	if l.call == "" || !l.answered || l.reported || l.pending[VarFormat] {
		return nil
	}
	src := call.SourceGetvar
	remote := l.remote
	if l.unicast {
		if !l.bridged {
			return nil
		}
		src = call.SourceChannelVars
		remote, _ = UnicastRemote(l.info.Channel)
		if !l.codecDone && !l.pending[VarFormat] {
			f.askMedia(l, 0)
			return nil
		}
	}
	if !remote.IsValid() || !l.local.IsValid() {
		return nil
	}
	l.reported = true
	return []call.Event{call.MediaKnown{
		Header: f.header(l.call, at), Leg: l.info, Local: l.local, Remote: remote, Codec: l.codec, Source: src,
	}}
}
