package config

import (
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"time"
)

var agiSchema = schema{"listen": tStr, "max_sessions": tInt, "timeout": tInt | tFloat, "allow": tList}

var classSchema = schema{
	"dscp": tInt, "meter": tBool, "headroom_percent": tInt | tFloat, "queue": tInt,
	"priority": tInt, "admission": tStr,
}

// classNameRE: a class name travels into the dialplan (VOIPSDN_QOS), URLs
// and metric labels, so it is short and plain.
var classNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// reservedClassNames are the other values of VOIPSDN_QOS; a class with one
// of these names would make the answer ambiguous.
var reservedClassNames = map[string]bool{
	"unknown_class": true, "unknown_script": true, "unknown_server": true, "rejected": true, "error": true,
}

func (v *validator) agi(n *node, vo *VoIP) *AGI {
	const path = "voip.agi"
	if n.kind != kMap {
		v.e.add(n.pos(path), "agi must be a mapping, not %s", describe(n))
		return nil
	}
	o := checkObj(v.e, n, path, "agi", agiSchema)
	a := &AGI{
		Listen: o.str("listen", DefaultAGIListen), Timeout: DefaultAGITimeout, Pos: n.pos(path),
		MaxSessions: intRange(v.e, o, "max_sessions", DefaultAGIMaxSessions, 1, 100000, "max_sessions must be 1-100000"),
	}
	if host, port, err := net.SplitHostPort(a.Listen); err != nil {
		v.e.add(o.keyPos("listen"), "listen %s must be host:port", quote(a.Listen))
	} else if p, perr := strconv.Atoi(port); perr != nil || p < 0 || p > 65535 {
		v.e.add(o.keyPos("listen"), "listen port %s must be 0-65535", quote(port))
	} else if _, aerr := netip.ParseAddr(host); host != "" && aerr != nil && !hostnameRE.MatchString(host) {
		v.e.add(o.keyPos("listen"), "listen host %s is not an IP address or hostname", quote(host))
	}
	if t := o.get("timeout"); t != nil {
		if secs := numberOf(t); secs <= 0 || secs > 300 {
			v.e.add(o.keyPos("timeout"), "timeout must be between 0 and 300 seconds, not %s", t.text())
		} else {
			a.Timeout = time.Duration(secs * float64(time.Second))
		}
	}
	for i, p := range o.list("allow") {
		ip := index(path+".allow", i)
		pfx, ok := parseIPNetwork(p.text())
		if !ok {
			if addr, err := netip.ParseAddr(p.text()); p.kind == kStr && err == nil {
				pfx, ok = netip.PrefixFrom(addr, addr.BitLen()), true
			}
		}
		if p.kind != kStr || !ok {
			v.e.add(p.pos(ip), "allow entries must be IP addresses or networks (10.0.0.0/24), not %s", describe(p))
			continue
		}
		a.Allow = append(a.Allow, pfx)
	}
	if len(vo.QoS.Classes) == 0 {
		v.e.add(a.Pos, "voip.agi needs voip.qos.classes: the dialplan chooses a class by name")
	}
	if len(vo.Asterisk) == 0 {
		v.e.add(a.Pos, "voip.agi needs voip.asterisk: a session is tied to a call of a configured server")
	}
	return a
}

// classes reads voip.qos.classes; q holds the section's other settings,
// which are the classes' defaults.
func (v *validator) classes(q *QoS, o *obj) {
	const path = "voip.qos.classes"
	cn := o.get("classes") // the schema has checked it is a mapping
	if cn == nil {
		return
	}
	for i, k := range cn.keys {
		kp := path + "." + k.text()
		name := k.text()
		switch {
		case k.kind != kStr || !classNameRE.MatchString(name):
			v.e.add(k.pos(kp), "class name %s must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit", quote(name))
			continue
		case reservedClassNames[name]:
			v.e.add(k.pos(kp), "class name %s is reserved: it is a VOIPSDN_QOS answer", quote(name))
			continue
		}
		val := cn.vals[i]
		if val.kind != kMap && !val.isNull() {
			v.e.add(val.pos(kp), "class must be a mapping, not %s", describe(val))
			continue
		}
		co := checkObj(v.e, val, kp, "qos class", classSchema)
		c := &QoSClass{
			Name: name, Meter: co.boolean("meter", true), HeadroomPercent: q.HeadroomPercent,
			Queue: q.Queue, Admission: co.str("admission", AdmissionBudget), Pos: k.pos(kp),
			DSCP:     uint8(intRange(v.e, co, "dscp", int(q.VoiceDSCP), 0, 63, "dscp must be 0-63")),
			Priority: intRange(v.e, co, "priority", 0, 0, 100, "priority must be 0-100"),
		}
		if h := co.get("headroom_percent"); h != nil {
			switch r := numberOf(h); {
			case r < 0 || r > 1000:
				v.e.add(co.keyPos("headroom_percent"), "headroom_percent must be 0-1000, not %s", h.text())
			case !c.Meter:
				v.e.add(co.keyPos("headroom_percent"), "headroom_percent needs meter: true")
			default:
				c.HeadroomPercent = r
			}
		}
		if qn := co.get("queue"); qn != nil {
			if i, ok := qn.intVal(); !ok || i < 0 || i > 0xfffffffe {
				v.e.add(co.keyPos("queue"), "queue must be a queue id (0-4294967294), not %s", qn.text())
			} else {
				qu := uint32(i)
				c.Queue = &qu
			}
		}
		if c.Admission != AdmissionBudget && c.Admission != AdmissionExempt {
			v.e.add(co.keyPos("admission"), "admission must be budget or exempt, not %s", quote(c.Admission))
		}
		q.Classes = append(q.Classes, c)
	}
	sort.Slice(q.Classes, func(i, j int) bool { return q.Classes[i].Name < q.Classes[j].Name })
}

// classVariable reads voip.qos.class_variable: the channel variable name,
// or false for none. It defaults to DefaultClassVariable when classes are
// configured and is off without them.
func (v *validator) classVariable(q *QoS, o *obj) {
	n := o.get("class_variable")
	switch {
	case n == nil:
		if len(q.Classes) > 0 {
			q.ClassVariable = DefaultClassVariable
		}
	case n.kind == kBool && !n.b:
		q.ClassVariable = ""
	case n.kind != kStr || !envNameRE.MatchString(n.s) || len(n.s) > 64:
		v.e.add(o.keyPos("class_variable"), "class_variable must be a channel variable name (A-Z, 0-9, _) or false, not %s", describe(n))
	case len(q.Classes) == 0:
		v.e.add(o.keyPos("class_variable"), "class_variable needs voip.qos.classes")
	default:
		q.ClassVariable = n.s
	}
}
