package config

import (
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

var gatewaySchema = schema{
	"listen": tStr, "tls_cert_file": tStr, "tls_key_file": tStr, "http_listen": tStr,
	"client_queue": tInt, "write_timeout": tInt | tFloat, "users": tDict,
}

var gatewayUserSchema = schema{
	"secret_file": tStr, "secret_env": tStr, "token_file": tStr, "servers": tList,
	"read": tList, "events": tList, "actions": tList,
}

var (
	amiNameRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	gatewayUserRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`)
)

// gatewayOnlyActions act on the client's own session, which the gateway
// shares: they cannot be granted.
var gatewayOnlyActions = map[string]bool{"login": true, "logoff": true, "challenge": true, "events": true, "filter": true, "waitevent": true}

// gatewayRecordClasses are the read classes of voipsdn's own records.
var gatewayRecordClasses = map[string]bool{"call_events": true, "network": true}

func (v *validator) gateway(n *node, vo *VoIP) *Gateway {
	const path = "voip.gateway"
	if n.kind != kMap {
		v.e.add(n.pos(path), "gateway must be a mapping, not %s", describe(n))
		return nil
	}
	o := checkObj(v.e, n, path, "gateway", gatewaySchema)
	g := &Gateway{
		Listen: o.str("listen", ""), HTTPListen: o.str("http_listen", ""),
		TLSCertFile: o.str("tls_cert_file", ""), TLSKeyFile: o.str("tls_key_file", ""),
		ClientQueue:  intRange(v.e, o, "client_queue", DefaultGatewayClientQueue, 16, 1<<20, "client_queue must be 16-1048576"),
		WriteTimeout: DefaultGatewayWriteTimeout, Pos: n.pos(path),
	}
	for _, k := range []string{"listen", "http_listen"} {
		if o.get(k) != nil {
			v.listenAddr(o, k, o.str(k, ""))
		}
	}
	if g.Listen == "" && g.HTTPListen == "" {
		v.e.add(g.Pos, "voip.gateway needs listen or http_listen")
	}
	if (g.TLSCertFile == "") != (g.TLSKeyFile == "") {
		v.e.add(g.Pos, "tls_cert_file and tls_key_file go together")
	}
	if t := o.get("write_timeout"); t != nil {
		if secs := numberOf(t); secs <= 0 || secs > 60 {
			v.e.add(o.keyPos("write_timeout"), "write_timeout must be between 0 and 60 seconds, not %s", t.text())
		} else {
			g.WriteTimeout = time.Duration(secs * float64(time.Second))
		}
	}
	servers := map[string]bool{}
	for _, s := range vo.Asterisk {
		if s.AMI {
			servers[s.Name] = true
		}
	}
	un := o.get("users")
	if un == nil || len(un.keys) == 0 {
		v.e.add(g.Pos, "voip.gateway needs users")
		return g
	}
	for i, k := range un.keys {
		if u := v.gatewayUser(k, un.vals[i], servers); u != nil {
			g.Users = append(g.Users, u)
		}
	}
	sort.Slice(g.Users, func(i, j int) bool { return g.Users[i].Name < g.Users[j].Name })
	return g
}

func (v *validator) gatewayUser(k, n *node, servers map[string]bool) *GatewayUser {
	name := k.text()
	path := "voip.gateway.users." + name
	if k.kind != kStr || !gatewayUserRE.MatchString(name) {
		v.e.add(k.pos(path), "user name %s must be 1-64 of letters, digits, _, . and -", quote(name))
		return nil
	}
	if n.kind != kMap {
		v.e.add(n.pos(path), "user must be a mapping, not %s", describe(n))
		return nil
	}
	o := checkObj(v.e, n, path, "gateway user", gatewayUserSchema)
	u := &GatewayUser{Name: name, SecretFile: o.str("secret_file", ""), SecretEnv: o.str("secret_env", ""),
		TokenFile: o.str("token_file", ""), Pos: k.pos(path)}
	switch {
	case u.SecretFile != "" && u.SecretEnv != "":
		v.e.add(u.Pos, "give secret_file or secret_env, not both")
	case u.SecretFile == "" && u.SecretEnv == "" && u.TokenFile == "":
		v.e.add(u.Pos, "needs secret_file, secret_env or token_file")
	case u.SecretEnv != "" && !envNameRE.MatchString(u.SecretEnv):
		v.e.add(o.keyPos("secret_env"), "secret_env must name an environment variable")
	}
	for i, s := range o.list("servers") {
		if s.kind != kStr || !servers[s.text()] {
			v.e.add(s.pos(index(path+".servers", i)), "server %s is not a voip.asterisk server with AMI", quote(s.text()))
			continue
		}
		u.Servers = append(u.Servers, s.text())
	}
	if o.get("servers") == nil {
		v.e.add(u.Pos, "needs servers (the first is the default)")
	}
	for i, c := range o.list("read") {
		cl := strings.ToLower(c.text())
		if c.kind != kStr || !(amiEventClasses[cl] || gatewayRecordClasses[cl]) || cl == "on" || cl == "off" {
			v.e.add(c.pos(index(path+".read", i)), "read class %s is not an AMI event class, call_events or network", quote(c.text()))
			continue
		}
		u.Read = append(u.Read, cl)
	}
	for i, e := range o.list("events") {
		if e.kind != kStr || !amiNameRE.MatchString(e.text()) {
			v.e.add(e.pos(index(path+".events", i)), "event name %s is not an AMI event name", quote(e.text()))
			continue
		}
		u.Events = append(u.Events, e.text())
	}
	for i, a := range o.list("actions") {
		switch {
		case a.kind != kStr || !amiNameRE.MatchString(a.text()):
			v.e.add(a.pos(index(path+".actions", i)), "action %s is not an AMI action name", quote(a.text()))
		case gatewayOnlyActions[strings.ToLower(a.text())]:
			v.e.add(a.pos(index(path+".actions", i)), "action %s acts on the shared session and cannot be granted", quote(a.text()))
		default:
			u.Actions = append(u.Actions, a.text())
		}
	}
	return u
}

// listenAddr checks a host:port listen key.
func (v *validator) listenAddr(o *obj, key, addr string) {
	if host, port, err := net.SplitHostPort(addr); err != nil {
		v.e.add(o.keyPos(key), "%s %s must be host:port", key, quote(addr))
	} else if p, perr := strconv.Atoi(port); perr != nil || p < 0 || p > 65535 {
		v.e.add(o.keyPos(key), "%s port %s must be 0-65535", key, quote(port))
	} else if _, aerr := netip.ParseAddr(host); host != "" && aerr != nil && !hostnameRE.MatchString(host) {
		v.e.add(o.keyPos(key), "%s host %s is not an IP address or hostname", key, quote(host))
	}
}
