package config

import (
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

var voipSchema = schema{"asterisk": tDict, "qos": tDict, "agi": tDict, "lldp_med": tDict, "gateway": tDict}

var asteriskSchema = schema{
	"host": tStr, "port": tInt, "username": tStr, "secret_file": tStr, "secret_env": tStr,
	"tls": tBool, "tls_ca_file": tStr, "tls_skip_verify": tBool, "auth": tStr,
	"events": tList, "event_filter": tList, "ping_interval": tInt | tFloat, "direct_media": tBool,
	"max_calls": tInt, "max_legs": tInt, "ari": tDict,
}

var ariSchema = schema{
	"url": tStr, "username": tStr, "password_file": tStr, "password_env": tStr,
	"app": tStr, "subscribe_all": tBool,
}

// ariAppRE: a Stasis application name travels in a URL query and in the
// dialplan's Stasis() arguments; keep it to a safe alphabet.
var ariAppRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

var qosSchema = schema{
	"voice_dscp": tInt, "signalling_dscp": tInt, "sip_ports": tList, "queue": tInt,
	"rtp_port_range": tList, "codec_kbps": tDict, "default_kbps": tInt | tFloat,
	"headroom_percent": tInt | tFloat, "pinhole": tStr | tBool, "idle_timeout": tInt | tFloat,
	"max_calls": tInt, "pbx_addresses": tList, "apply_to": tDict,
	"classes": tDict, "class_variable": tStr | tBool, "admission": tDict,
	"trust": tList, "remark_untrusted": tBool,
}

var applyToSchema = schema{"dps": tList, "vlans": tList, "ports": tDict}

// defaultCodecKbps is the per-call bandwidth (IP/UDP/RTP included) of
// common codecs at 20 ms packetisation.
var defaultCodecKbps = map[string]float64{
	"g711": 87.2, "ulaw": 87.2, "alaw": 87.2, "g722": 87.2, "g729": 31.2, "opus": 63,
}

// amiEventClasses are the AMI event classes a login may request.
var amiEventClasses = map[string]bool{
	"all": true, "system": true, "call": true, "log": true, "verbose": true, "command": true,
	"agent": true, "user": true, "config": true, "dtmf": true, "reporting": true, "cdr": true,
	"dialplan": true, "originate": true, "agi": true, "cc": true, "aoc": true, "test": true,
	"security": true, "message": true, "on": true, "off": true,
}

var (
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)
	envNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// DefaultQoS returns the QoS settings used when voip.qos is absent.
func DefaultQoS() QoS {
	q := QoS{
		VoiceDSCP: 46, SignallingDSCP: 24, SIPPorts: []uint16{5060, 5061},
		RTPPortRange: [2]uint16{10000, 20000}, CodecKbps: map[string]float64{},
		DefaultKbps: 87.2, HeadroomPercent: 10, Pinhole: PinholeMark,
		IdleTimeout: 60 * time.Second, MaxCalls: 10000,
		Trust: []string{TrustStack, TrustTrunk}, RemarkUntrusted: true,
	}
	for k, v := range defaultCodecKbps {
		q.CodecKbps[k] = v
	}
	return q
}

func (v *validator) validateVoIP(n *node) *VoIP {
	if n == nil {
		return nil
	}
	const path = "voip"
	o := checkObj(v.e, n, path, "voip", voipSchema)
	vo := &VoIP{QoS: DefaultQoS(), Pos: n.pos(path)}
	if ast := o.get("asterisk"); ast != nil {
		for i, k := range ast.keys {
			if s := v.asterisk(k, ast.vals[i]); s != nil {
				vo.Asterisk = append(vo.Asterisk, s)
			}
		}
		sort.Slice(vo.Asterisk, func(i, j int) bool { return vo.Asterisk[i].Name < vo.Asterisk[j].Name })
	}
	qn := o.get("qos")
	if qn != nil {
		v.qos(&vo.QoS, qn)
	}
	if len(vo.QoS.PBXAddresses) == 0 && (qn == nil || qn.get("pbx_addresses") == nil) {
		for _, s := range vo.Asterisk {
			if a, err := netip.ParseAddr(s.Host); err == nil {
				vo.QoS.PBXAddresses = append(vo.QoS.PBXAddresses, a)
			} else if a, ok := s.ARI.host(); ok && !s.AMI {
				vo.QoS.PBXAddresses = append(vo.QoS.PBXAddresses, a)
			}
		}
	}
	if an := o.get("agi"); an != nil {
		vo.AGI = v.agi(an, vo)
	}
	if mn := o.get("lldp_med"); mn != nil {
		vo.LLDPMED = v.lldpMED(mn, vo.QoS.VoiceDSCP)
	}
	if gn := o.get("gateway"); gn != nil {
		vo.Gateway = v.gateway(gn, vo)
	}
	return vo
}

func (v *validator) asterisk(key, n *node) *AsteriskServer {
	path := "voip.asterisk." + key.text()
	if n.kind != kMap {
		v.e.add(n.pos(path), "asterisk server config must be a mapping, not %s", describe(n))
		return nil
	}
	o := checkObj(v.e, n, path, "asterisk server", asteriskSchema)
	s := &AsteriskServer{
		Name: key.text(), Host: o.str("host", ""), Username: o.str("username", ""),
		SecretFile: o.str("secret_file", ""), SecretEnv: o.str("secret_env", ""),
		TLS: o.boolean("tls", false), TLSCAFile: o.str("tls_ca_file", ""),
		TLSSkipVerify: o.boolean("tls_skip_verify", false), Auth: o.str("auth", AuthMD5),
		DirectMedia:  o.boolean("direct_media", true),
		Events:       []string{"call", "reporting", "system"},
		PingInterval: DefaultAMIPingInterval,
		Pos:          key.pos(path),
	}
	if an := o.get("ari"); an != nil {
		s.ARI = v.ari(path+".ari", an, o.keyPos("ari"))
	}
	// A server is followed through AMI when any AMI key is given, and
	// must then have them all; without one it needs ari.
	s.AMI = o.get("host") != nil || o.get("username") != nil || o.get("secret_file") != nil || o.get("secret_env") != nil
	if !s.AMI {
		if o.get("ari") == nil {
			v.e.add(s.Pos, "host, username and secret_file or secret_env (AMI), or ari, are required")
		}
		for _, k := range []string{"port", "tls", "tls_ca_file", "tls_skip_verify", "auth", "events", "event_filter", "ping_interval"} {
			if o.get(k) != nil {
				v.e.add(o.keyPos(k), "%s is an AMI key: it needs host, username and a secret", k)
			}
		}
		s.Auth, s.Events, s.PingInterval, s.TLS = "", nil, 0, false
		s.MaxCalls = intRange(v.e, o, "max_calls", DefaultMaxCalls, 1, 10000000, "max_calls must be 1-10000000")
		s.MaxLegs = intRange(v.e, o, "max_legs", 4*s.MaxCalls, 1, 40000000, "max_legs must be 1-40000000")
		return s
	}
	if s.Host == "" {
		v.e.add(s.Pos, "host is required")
	} else if _, err := netip.ParseAddr(s.Host); err != nil && !hostnameRE.MatchString(s.Host) {
		v.e.add(o.keyPos("host"), "host %s is not an IP address or hostname", quote(s.Host))
	}
	s.Port = 5038
	if s.TLS {
		s.Port = 5039
	}
	if p := o.get("port"); p != nil {
		i, ok := p.intVal()
		if !ok || i < 1 || i > 65535 {
			v.e.add(o.keyPos("port"), "port must be 1-65535, not %s", p.text())
		} else {
			s.Port = uint16(i)
		}
	}
	if s.Username == "" {
		v.e.add(s.Pos, "username is required")
	}
	switch {
	case (s.SecretFile == "") == (s.SecretEnv == ""):
		v.e.add(s.Pos, "exactly one of secret_file or secret_env is required")
	case s.SecretEnv != "" && !envNameRE.MatchString(s.SecretEnv):
		// The value is not echoed: what is pasted here by mistake is
		// usually the secret itself.
		v.e.add(o.keyPos("secret_env"), "secret_env is not a valid environment variable name (it names the variable that holds the secret; the value is not shown)")
	}
	if !s.TLS && (s.TLSCAFile != "" || s.TLSSkipVerify) {
		v.e.add(s.Pos, "tls_ca_file and tls_skip_verify need tls: true")
	}
	if s.Auth != AuthMD5 && s.Auth != AuthPlain {
		v.e.add(o.keyPos("auth"), "auth must be md5 or plain, not %s", quote(s.Auth))
	}
	if evs := o.get("events"); evs != nil {
		s.Events = nil
		for i, ev := range evs.seq {
			name := strings.ToLower(ev.text())
			if ev.kind != kStr || !amiEventClasses[name] {
				v.e.add(ev.pos(index(path+".events", i)), "unknown AMI event class %s", quote(ev.text()))
				continue
			}
			s.Events = append(s.Events, name)
		}
	}
	for i, f := range o.list("event_filter") {
		if f.kind != kStr || f.s == "" || strings.ContainsAny(f.s, "\r\n") {
			v.e.add(f.pos(index(path+".event_filter", i)), "event_filter entries must be non-empty single-line strings")
			continue
		}
		s.EventFilter = append(s.EventFilter, f.s)
	}
	// The tracker's bounds: a server cannot make the controller follow
	// calls without end. The call default is the tracker's; legs default
	// to four a call (two phones and a Local pair).
	s.MaxCalls = intRange(v.e, o, "max_calls", DefaultMaxCalls, 1, 10000000, "max_calls must be 1-10000000")
	s.MaxLegs = intRange(v.e, o, "max_legs", 4*s.MaxCalls, 1, 40000000, "max_legs must be 1-40000000")
	if p := o.get("ping_interval"); p != nil {
		secs := numberOf(p)
		if secs <= 0 || secs > 3600 {
			v.e.add(o.keyPos("ping_interval"), "ping_interval must be between 0 and 3600 seconds, not %s", p.text())
		} else {
			s.PingInterval = time.Duration(secs * float64(time.Second))
		}
	}
	return s
}

// ari validates the `ari:` key of an Asterisk server.
func (v *validator) ari(path string, n *node, pos Pos) *AsteriskARI {
	o := checkObj(v.e, n, path, "ari", ariSchema)
	a := &AsteriskARI{
		URL: o.str("url", ""), Username: o.str("username", ""),
		PasswordFile: o.str("password_file", ""), PasswordEnv: o.str("password_env", ""),
		App: o.str("app", "voipsdn"), SubscribeAll: o.boolean("subscribe_all", true), Pos: pos,
	}
	if a.URL == "" {
		v.e.add(pos, "ari url is required")
	} else if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// The URL is printed: it must not carry credentials, and a
		// rejected one is not echoed in case it does.
		v.e.add(o.keyPos("url"), "ari url must be http:// or https://host[:port][/path], without credentials, query or fragment")
	}
	if a.Username == "" {
		v.e.add(pos, "ari username is required")
	}
	switch {
	case (a.PasswordFile == "") == (a.PasswordEnv == ""):
		v.e.add(pos, "exactly one of ari password_file or password_env is required")
	case a.PasswordEnv != "" && !envNameRE.MatchString(a.PasswordEnv):
		v.e.add(o.keyPos("password_env"), "password_env %s is not a valid environment variable name", quote(a.PasswordEnv))
	}
	if !ariAppRE.MatchString(a.App) {
		v.e.add(o.keyPos("app"), "ari app %s must be 1-64 letters, digits, '_', '.' or '-'", quote(a.App))
	}
	return a
}

// host returns the ARI URL's host when it is an IP literal.
func (a *AsteriskARI) host() (netip.Addr, bool) {
	if a == nil {
		return netip.Addr{}, false
	}
	u, err := url.Parse(a.URL)
	if err != nil {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(u.Hostname())
	return ip.Unmap(), err == nil
}

func numberOf(n *node) float64 {
	if i, ok := n.intVal(); ok {
		return float64(i)
	}
	if n.kind == kFloat {
		return n.f
	}
	return -1
}

func (v *validator) qos(q *QoS, n *node) {
	const path = "voip.qos"
	o := checkObj(v.e, n, path, "qos", qosSchema)
	q.Pos = n.pos(path)
	dscp := func(key string, def uint8) uint8 {
		return uint8(intRange(v.e, o, key, int(def), 0, 63, key+" must be 0-63"))
	}
	q.VoiceDSCP = dscp("voice_dscp", 46)
	q.SignallingDSCP = dscp("signalling_dscp", 24)
	if sp := o.get("sip_ports"); sp != nil {
		q.SIPPorts = nil
		for i, p := range sp.seq {
			port, ok := portNumber(p)
			if !ok {
				v.e.add(p.pos(index(path+".sip_ports", i)), "SIP port must be 1-65535, not %s", p.text())
				continue
			}
			q.SIPPorts = append(q.SIPPorts, port)
		}
	}
	if qn := o.get("queue"); qn != nil {
		i, ok := qn.intVal()
		if !ok || i < 0 || i > 0xfffffffe {
			v.e.add(o.keyPos("queue"), "queue must be a queue id (0-4294967294), not %s", qn.text())
		} else {
			qu := uint32(i)
			q.Queue = &qu
		}
	}
	if r := o.get("rtp_port_range"); r != nil {
		rp := path + ".rtp_port_range"
		if len(r.seq) != 2 {
			v.e.add(r.pos(rp), "rtp_port_range must be [first, last]")
		} else {
			a, okA := portNumber(r.seq[0])
			b, okB := portNumber(r.seq[1])
			switch {
			case !okA || !okB:
				v.e.add(r.pos(rp), "rtp_port_range ports must be 1-65535")
			case a > b:
				v.e.add(r.pos(rp), "rtp_port_range first port %d is above last port %d", a, b)
			case a%2 != 0:
				v.e.add(r.pos(rp), "rtp_port_range must start on an even port (RTP uses even ports), not %d", a)
			default:
				q.RTPPortRange = [2]uint16{a, b}
			}
		}
	}
	if ck := o.get("codec_kbps"); ck != nil {
		for i, k := range ck.keys {
			val := ck.vals[i]
			kp := path + ".codec_kbps." + k.text()
			rate := numberOf(val)
			if k.kind != kStr || k.s == "" {
				v.e.add(k.pos(kp), "codec name must be a string")
				continue
			}
			if rate <= 0 || rate > 100000 {
				v.e.add(val.pos(kp), "codec bandwidth must be a positive number of kbit/s, not %s", val.text())
				continue
			}
			q.CodecKbps[strings.ToLower(k.s)] = rate
		}
	}
	if d := o.get("default_kbps"); d != nil {
		if r := numberOf(d); r <= 0 || r > 100000 {
			v.e.add(o.keyPos("default_kbps"), "default_kbps must be a positive number, not %s", d.text())
		} else {
			q.DefaultKbps = r
		}
	}
	if h := o.get("headroom_percent"); h != nil {
		if r := numberOf(h); r < 0 || r > 1000 {
			v.e.add(o.keyPos("headroom_percent"), "headroom_percent must be 0-1000, not %s", h.text())
		} else {
			q.HeadroomPercent = r
		}
	}
	if t := o.get("trust"); t != nil {
		q.Trust = []string{}
		for i, k := range t.seq {
			s := k.text()
			if s != TrustStack && s != TrustTrunk {
				v.e.add(k.pos(index(path+".trust", i)), "trust entries are %s or %s, not %s", TrustStack, TrustTrunk, quote(s))
				continue
			}
			if !slices.Contains(q.Trust, s) {
				q.Trust = append(q.Trust, s)
			}
		}
	}
	q.RemarkUntrusted = o.boolean("remark_untrusted", true)
	q.Pinhole = o.str("pinhole", PinholeMark)
	if p := o.get("pinhole"); p != nil && p.kind == kBool {
		// YAML 1.1 reads an unquoted off (or no, false) as a boolean;
		// Faucet users write it unquoted, so false means off. True (on,
		// yes) names no mode.
		if p.b {
			v.e.add(o.keyPos("pinhole"), "pinhole must be off, mark or strict, not %s (read as a YAML boolean)", p.raw())
		} else {
			q.Pinhole = PinholeOff
		}
	} else if q.Pinhole != PinholeOff && q.Pinhole != PinholeMark && q.Pinhole != PinholeStrict {
		v.e.add(o.keyPos("pinhole"), "pinhole must be off, mark or strict, not %s", quote(q.Pinhole))
	}
	if it := o.get("idle_timeout"); it != nil {
		if r := numberOf(it); r < 1 || r > 65535 {
			v.e.add(o.keyPos("idle_timeout"), "idle_timeout must be 1-65535 seconds, not %s", it.text())
		} else {
			q.IdleTimeout = time.Duration(r * float64(time.Second))
		}
	}
	q.MaxCalls = intRange(v.e, o, "max_calls", 10000, 1, 10000000, "max_calls must be 1-10000000")
	for i, a := range o.list("pbx_addresses") {
		if ip, ok := ipAddress(v.e, a, index(path+".pbx_addresses", i)); ok {
			q.PBXAddresses = append(q.PBXAddresses, ip)
		}
	}
	if at := o.get("apply_to"); at != nil {
		q.ApplyTo = v.applyTo(at, path+".apply_to")
	}
	v.classes(q, o)
	v.classVariable(q, o)
	if an := o.get("admission"); an != nil {
		q.Admission = v.admission(q, an)
	}
}

func portNumber(n *node) (uint16, bool) {
	if !n.isInt() || n.kind == kBool {
		return 0, false
	}
	i, ok := n.intVal()
	if !ok || i < 1 || i > 65535 {
		return 0, false
	}
	return uint16(i), true
}

func (v *validator) applyTo(n *node, path string) *ApplyTo {
	o := checkObj(v.e, n, path, "apply_to", applyToSchema)
	a := &ApplyTo{}
	for i, d := range o.list("dps") {
		if d.kind != kStr || v.cfg.DP(d.s) == nil {
			v.e.add(d.pos(index(path+".dps", i)), "unknown DP %s", quote(d.text()))
			continue
		}
		a.DPs = append(a.DPs, d.s)
	}
	for i, ref := range o.list("vlans") {
		var vc *vlanConf
		if ref.scalarKey() {
			vc = v.lookupVLAN(ref)
		}
		if vc == nil || !vc.valid {
			v.e.add(ref.pos(index(path+".vlans", i)), "unknown VLAN %s", quote(ref.text()))
			continue
		}
		a.VLANs = append(a.VLANs, vc.vlan.VID)
	}
	if ports := o.get("ports"); ports != nil {
		a.Ports = map[string][]uint32{}
		for i, k := range ports.keys {
			kp := path + ".ports." + k.text()
			dp := v.cfg.DP(k.text())
			if dp == nil {
				v.e.add(k.pos(kp), "unknown DP %s", quote(k.text()))
				continue
			}
			list := ports.vals[i]
			if list.kind != kSeq {
				v.e.add(list.pos(kp), "must be a list of ports, not %s", describe(list))
				continue
			}
			a.Ports[dp.Name] = []uint32{}
			for j, pref := range list.seq {
				p := resolvePortIn(dp, pref)
				if p == nil {
					v.e.add(pref.pos(index(kp, j)), "unknown port %s on DP %s", quote(pref.text()), dp.Name)
					continue
				}
				a.Ports[dp.Name] = append(a.Ports[dp.Name], p.Number)
			}
		}
	}
	return a
}
