package tracker

import (
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// External media channels (chan_rtp's UnicastRTP, made by ARI's
// externalMedia) stream a call's audio between the PBX and a media server.
// CHANNEL(rtp,dest) and (rtp,src) answer Success with an empty value on
// them (the recordings in testdata/captures/ari*), so their media comes
// from elsewhere:
//   - the remote (the media server) is in the channel's name,
//     "UnicastRTP/10.0.100.204:40000-0x7f106c0026f0";
//   - the local end is in the channel variables UNICASTRTP_LOCAL_ADDRESS and
//     UNICASTRTP_LOCAL_PORT: VarSet events when the session reads class
//     dialplan, else Getvar;
//   - the codec is in DialBegin's DialString, "10.0.100.204:40000/c(ulaw)".
//
// Such a channel sends nothing until it is bridged (recording ari04), so
// its MediaKnown waits for its BridgeEnter. It carries no RTCP.
const (
	VarUnicastLocalAddress = "UNICASTRTP_LOCAL_ADDRESS"
	VarUnicastLocalPort    = "UNICASTRTP_LOCAL_PORT"
)

// isUnicast reports an external media channel.
func isUnicast(l *leg) bool { return strings.HasPrefix(l.channel(), "UnicastRTP/") }

// unicastRemote returns the media server's address in an external media
// channel's name. The suffix after the last '-' is a pointer, not a number.
func unicastRemote(name string) (netip.AddrPort, bool) {
	rest, ok := strings.CutPrefix(name, "UnicastRTP/")
	if !ok {
		return netip.AddrPort{}, false
	}
	i := strings.LastIndex(rest, "-")
	if i < 0 {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(rest[:i])
	if err != nil || ap.Port() == 0 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// setUnicastLocal records one half of the local end (address or port);
// the other half may come first.
func setUnicastLocal(l *leg, variable, value string) {
	value = strings.TrimSpace(value)
	switch variable {
	case VarUnicastLocalAddress:
		a, err := netip.ParseAddr(value)
		if err != nil {
			return
		}
		l.setLocal(netip.AddrPortFrom(a.Unmap(), l.localPort))
	case VarUnicastLocalPort:
		p, err := parsePort(value)
		if err != nil {
			return
		}
		l.setLocal(netip.AddrPortFrom(l.localIP, p))
	}
}

func parsePort(v string) (uint16, error) {
	ap, err := netip.ParseAddrPort("0.0.0.0:" + v)
	if err != nil || ap.Port() == 0 {
		return 0, errBadPort
	}
	return ap.Port(), nil
}

var errBadPort = errors.New("bad port")

// dialCodec reads chan_rtp's codec option from a dial string.
func dialCodec(dialString string) string {
	_, opts, ok := strings.Cut(dialString, "/")
	if !ok {
		return ""
	}
	i := strings.Index(opts, "c(")
	if i < 0 {
		return ""
	}
	c, _, ok := strings.Cut(opts[i+2:], ")")
	if !ok {
		return ""
	}
	return c
}

// queryUnicast queues what an external media channel's media still lacks.
func (t *Tracker) queryUnicast(l *leg) {
	l.tries = 0
	if !l.localIP.IsValid() {
		l.destPending = true
		t.reqs = append(t.reqs, Request{Kind: KindGetvar, Leg: l.uid(), Channel: l.channel(), Variable: VarUnicastLocalAddress})
	}
	if l.localPort == 0 {
		l.srcPending = true
		t.reqs = append(t.reqs, Request{Kind: KindGetvar, Leg: l.uid(), Channel: l.channel(), Variable: VarUnicastLocalPort})
	}
	if l.codec == "" {
		l.statusPending = true
		t.reqs = append(t.reqs, Request{Kind: KindStatus, Leg: l.uid(), Channel: l.channel()})
	}
}

// unicastEvents reports an external media channel's stream once it is
// bridged and its ends are known.
func (t *Tracker) unicastEvents(l *leg, at time.Time) []Event {
	if l.destPending || l.srcPending || l.statusPending || l.reported || l.bridge == "" {
		return nil
	}
	remote, ok := unicastRemote(l.channel())
	if !ok || !l.localIP.IsValid() || l.localPort == 0 {
		return nil
	}
	l.reported = true
	return []Event{MediaKnown{Header: t.header(l.call.id, at), Leg: l.info(), Local: l.local(), Remote: remote, Codec: l.codec, Source: SourceChannelVars}}
}

// onUnicastVarSet takes an external media channel's local end from its
// VarSet events.
func (t *Tracker) onUnicastVarSet(m ami.Message, at time.Time) []Event {
	l, evs := t.ensure(m, "", at, false)
	if l == nil || !isUnicast(l) {
		return evs
	}
	setUnicastLocal(l, m.Get("Variable"), m.Get("Value"))
	return append(evs, t.unicastEvents(l, at)...)
}
