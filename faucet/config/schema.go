package config

import (
	"net"
	"net/netip"
	"sort"
	"strings"
)

// ftype is a set of accepted YAML types for a key, following Python's
// isinstance as Faucet uses it: a bool is also an int, an int is not a
// float, and null always passes (it means "use the default").
type ftype uint8

const (
	tInt ftype = 1 << iota
	tStr
	tBool
	tFloat
	tList
	tDict
)

func (t ftype) String() string {
	var parts []string
	for _, x := range []struct {
		f    ftype
		name string
	}{{tInt, "int"}, {tStr, "str"}, {tBool, "bool"}, {tFloat, "float"}, {tList, "list"}, {tDict, "dict"}} {
		if t&x.f != 0 {
			parts = append(parts, x.name)
		}
	}
	return strings.Join(parts, " or ")
}

func typeOK(n *node, t ftype) bool {
	switch n.kind {
	case kNull:
		return true
	case kInt:
		return t&tInt != 0
	case kBool:
		return t&(tBool|tInt) != 0
	case kStr:
		return t&tStr != 0
	case kFloat:
		return t&tFloat != 0
	case kSeq:
		return t&tList != 0
	case kMap:
		return t&tDict != 0
	}
	return false
}

// describe names a value's type and value for error messages.
func describe(n *node) string {
	switch n.kind {
	case kMap, kSeq, kNull:
		return n.kind.String()
	case kStr:
		return "str " + quote(n.s)
	}
	return n.kind.String() + " " + n.text()
}

func quote(s string) string {
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// schema maps each accepted key to its types.
type schema map[string]ftype

func (s schema) names() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// closest returns the known key nearest to a misspelt one (edit distance
// at most 2, or a case difference), or "".
func (s schema) closest(key string) string {
	best, bestD := "", 3
	for k := range s {
		d := editDistance(strings.ToLower(key), k)
		if d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	if len(key) <= 3 && bestD > 1 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// obj is a mapping being checked against a schema. Lookups of keys with a
// type error return nil so that defaults apply and no second error follows.
type obj struct {
	n    *node
	path string
	bad  map[string]bool
}

// checkObj reports unknown keys and type errors in a mapping, as Faucet's
// _check_unknown_conf and _check_conf_types do. what names the object kind
// for the unknown-key message.
func checkObj(e *errList, n *node, path, what string, s schema) *obj {
	o := &obj{n: n, path: path}
	if n == nil || n.kind != kMap {
		return o
	}
	for i, k := range n.keys {
		kp := join(path, k.text())
		name, isStr := k.s, k.kind == kStr
		t, known := s[name]
		if !isStr || !known {
			if guess := s.closest(k.text()); guess != "" {
				e.add(k.pos(kp), "unknown key %s in %s (did you mean %s?)", quote(k.text()), what, quote(guess))
			} else {
				e.add(k.pos(kp), "unknown key %s in %s (valid keys: %s)", quote(k.text()), what, s.names())
			}
			o.markBad(k.text())
			continue
		}
		v := n.vals[i]
		if !typeOK(v, t) {
			what := describe(v)
			switch {
			case strings.Contains(name, "secret"):
				what = v.kind.String() // never echo a secret into logs
			case v.kind == kInt && strings.Contains(v.s, ":"):
				what += " (YAML 1.1 reads " + v.s + " as a base-60 number: quote it)"
			}
			e.add(v.pos(kp), "must be %s, not %s", t, what)
			o.markBad(name)
		}
	}
	return o
}

func (o *obj) markBad(k string) {
	if o.bad == nil {
		o.bad = map[string]bool{}
	}
	o.bad[k] = true
}

// get returns the value of a key, or nil when absent, null or mistyped.
func (o *obj) get(key string) *node {
	if o.bad[key] {
		return nil
	}
	v := o.n.get(key)
	if v.isNull() {
		return nil
	}
	return v
}

func (o *obj) keyPos(key string) Pos {
	if o.n != nil && o.n.kind == kMap {
		for i, k := range o.n.keys {
			if k.kind == kStr && k.s == key {
				return o.n.vals[i].pos(join(o.path, key))
			}
		}
	}
	return o.n.pos(join(o.path, key))
}

func (o *obj) str(key, def string) string {
	if v := o.get(key); v != nil && v.kind == kStr {
		return v.s
	}
	return def
}

func (o *obj) boolean(key string, def bool) bool {
	if v := o.get(key); v != nil && v.kind == kBool {
		return v.b
	}
	return def
}

// integer returns an int key (bools count as 0/1); def when unset.
func (o *obj) integer(key string, def int) int {
	if v := o.get(key); v != nil {
		if i, ok := v.intVal(); ok {
			return int(i)
		}
	}
	return def
}

func (o *obj) float(key string, def float64) float64 {
	if v := o.get(key); v != nil && v.kind == kFloat {
		return v.f
	}
	return def
}

func (o *obj) list(key string) []*node {
	if v := o.get(key); v != nil && v.kind == kSeq {
		return v.seq
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + itoa(i) + "]"
}

func itoa(i int) string {
	if i >= 0 && i < 10 {
		return string(rune('0' + i))
	}
	var b [20]byte
	p := len(b)
	neg := i < 0
	u := uint64(i)
	if neg {
		u = uint64(-i)
	}
	for u > 0 {
		p--
		b[p] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}

// parseMAC accepts the MAC spellings netaddr accepts for Faucet's
// valid_mac: six groups of one or two hex digits separated by ':' or '-',
// or Cisco-style dotted triples.
func parseMAC(s string) (net.HardwareAddr, bool) {
	var groups []string
	switch {
	case strings.Count(s, ":") == 5:
		groups = strings.Split(s, ":")
	case strings.Count(s, "-") == 5:
		groups = strings.Split(s, "-")
	case strings.Count(s, ".") == 2:
		parts := strings.Split(s, ".")
		for _, p := range parts {
			if len(p) != 4 {
				return nil, false
			}
			groups = append(groups, p[:2], p[2:])
		}
	default:
		return nil, false
	}
	mac := make(net.HardwareAddr, 6)
	for i, g := range groups {
		if len(g) < 1 || len(g) > 2 {
			return nil, false
		}
		var v byte
		for _, c := range []byte(g) {
			d, ok := hexDigit(c)
			if !ok {
				return nil, false
			}
			v = v<<4 | d
		}
		mac[i] = v
	}
	return mac, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseIPInterface parses "addr/len" (or a bare address, as Python's
// ip_interface does) keeping the host bits.
func parseIPInterface(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// parseIPNetwork parses a network as Python's ip_network (strict): host
// bits must be zero.
func parseIPNetwork(s string) (netip.Prefix, bool) {
	p, ok := parseIPInterface(s)
	if !ok || p.Masked() != p {
		return netip.Prefix{}, false
	}
	return p, true
}
