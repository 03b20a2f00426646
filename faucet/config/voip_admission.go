package config

import (
	"sort"
	"strings"
)

var admissionSchema = schema{"links": tDict, "assume_codec": tStr}

var admissionLinkSchema = schema{
	"dp": tStr, "port": tInt | tStr, "capacity_kbps": tInt | tFloat,
	"voice_share_percent": tInt | tFloat, "police_best_effort": tBool,
}

// admission reads voip.qos.admission; q holds the section's codecs.
func (v *validator) admission(q *QoS, n *node) *Admission {
	const path = "voip.qos.admission"
	o := checkObj(v.e, n, path, "admission", admissionSchema)
	a := &Admission{Pos: n.pos(path)}
	if c := o.get("assume_codec"); c != nil {
		name := strings.ToLower(c.s)
		if _, ok := q.CodecKbps[name]; !ok {
			v.e.add(o.keyPos("assume_codec"), "assume_codec %s is not a codec of voip.qos.codec_kbps", quote(c.s))
		} else {
			a.AssumeCodec = name
		}
	}
	ln := o.get("links")
	if ln == nil || len(ln.keys) == 0 {
		v.e.add(n.pos(path), "admission needs links: the links whose voice bandwidth is budgeted")
		return a
	}
	seen := map[[2]any]string{}
	for i, k := range ln.keys {
		kp := path + ".links." + k.text()
		if k.kind != kStr || !classNameRE.MatchString(k.s) {
			v.e.add(k.pos(kp), "link name %s must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit", quote(k.text()))
			continue
		}
		val := ln.vals[i]
		if val.kind != kMap {
			v.e.add(val.pos(kp), "link must be a mapping with dp, port and capacity_kbps, not %s", describe(val))
			continue
		}
		lo := checkObj(v.e, val, kp, "admission link", admissionLinkSchema)
		l := &AdmissionLink{Name: k.s, Pos: k.pos(kp), PoliceBestEffort: lo.boolean("police_best_effort", false)}
		ok := true
		dpName := lo.str("dp", "")
		dp := v.cfg.DP(dpName)
		switch {
		case dpName == "":
			v.e.add(val.pos(kp), "link needs dp: the switch the link leaves")
			ok = false
		case dp == nil:
			v.e.add(lo.keyPos("dp"), "unknown DP %s", quote(dpName))
			ok = false
		default:
			l.DP = dp.Name
			if pn := lo.get("port"); pn == nil {
				v.e.add(val.pos(kp), "link needs port: the switch port the link leaves by")
				ok = false
			} else if p := resolvePortIn(dp, pn); p == nil {
				v.e.add(lo.keyPos("port"), "unknown port %s on DP %s", quote(pn.text()), dp.Name)
				ok = false
			} else {
				l.Port = p.Number
			}
		}
		if c := lo.get("capacity_kbps"); c == nil {
			v.e.add(val.pos(kp), "link needs capacity_kbps")
			ok = false
		} else if r := numberOf(c); r < 1 || r > 1e9 {
			v.e.add(lo.keyPos("capacity_kbps"), "capacity_kbps must be 1-1000000000, not %s", c.text())
			ok = false
		} else {
			l.CapacityKbps = r
		}
		l.VoiceSharePercent = 100
		if s := lo.get("voice_share_percent"); s != nil {
			if r := numberOf(s); r <= 0 || r > 100 {
				v.e.add(lo.keyPos("voice_share_percent"), "voice_share_percent must be above 0 and at most 100, not %s", s.text())
				ok = false
			} else {
				l.VoiceSharePercent = r
			}
		}
		if !ok {
			continue
		}
		at := [2]any{l.DP, l.Port}
		if other, dup := seen[at]; dup {
			v.e.add(l.Pos, "link %s leaves DP %s by port %d, as link %s does", quote(l.Name), l.DP, l.Port, quote(other))
			continue
		}
		seen[at] = l.Name
		a.Links = append(a.Links, l)
	}
	sort.Slice(a.Links, func(i, j int) bool { return a.Links[i].Name < a.Links[j].Name })
	return a
}
