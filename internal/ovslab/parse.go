package ovslab

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Flow is one line of ovs-ofctl dump-flows.
type Flow struct {
	Cookie      uint64
	Table       int
	Priority    int // 32768 (OFP_DEFAULT_PRIORITY) when OVS omits it
	Match       map[string]string
	MatchKeys   []string // Match's keys in printed order; bare fields ("ip") have value ""
	Actions     string
	IdleTimeout int
	HardTimeout int
	Flags       []string // send_flow_rem, check_overlap, reset_counts, ...
	Packets     uint64
	Bytes       uint64
	Duration    time.Duration
	Text        string // the original line, trimmed
}

// MatchString is the match in OVS syntax, without the priority.
func (f Flow) MatchString() string {
	parts := make([]string, 0, len(f.MatchKeys))
	for _, k := range f.MatchKeys {
		if v := f.Match[k]; v != "" {
			parts = append(parts, k+"="+v)
		} else {
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, ",")
}

const defaultPriority = 32768

var flowFlags = map[string]bool{
	"send_flow_rem": true, "check_overlap": true, "reset_counts": true,
	"no_packet_counts": true, "no_byte_counts": true,
}

// ParseFlows parses ovs-ofctl dump-flows output (with or without
// --no-stats). Header lines (OFPST_FLOW reply ...) are skipped.
func ParseFlows(out string) ([]Flow, error) {
	var flows []Flow
	for n, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "OFPST_") || strings.HasPrefix(line, "NXST_") {
			continue
		}
		f, err := parseFlow(line)
		if err != nil {
			return nil, fmt.Errorf("ovslab: dump-flows line %d: %w", n+1, err)
		}
		flows = append(flows, f)
	}
	return flows, nil
}

func parseFlow(line string) (Flow, error) {
	f := Flow{Priority: defaultPriority, Match: map[string]string{}, Text: line}
	var head string
	if strings.HasPrefix(line, "actions=") {
		f.Actions = line[len("actions="):]
	} else {
		i := strings.Index(line, " actions=")
		if i < 0 {
			return f, fmt.Errorf("no actions in %q", line)
		}
		head, f.Actions = line[:i], line[i+len(" actions="):]
	}
	for _, field := range strings.Split(head, ", ") {
		for _, w := range strings.Fields(strings.TrimSuffix(field, ",")) {
			if flowFlags[w] {
				f.Flags = append(f.Flags, w)
				continue
			}
			if !strings.Contains(w, ",") {
				if ok, err := f.setStat(w); err != nil {
					return f, err
				} else if ok {
					continue
				}
			}
			if err := f.addMatch(w); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

// setStat stores w if it is a statistics field, reporting whether it was.
func (f *Flow) setStat(w string) (bool, error) {
	k, v, _ := strings.Cut(w, "=")
	var err error
	switch k {
	case "cookie":
		f.Cookie, err = strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
	case "duration":
		f.Duration, err = time.ParseDuration(v)
	case "table":
		f.Table, err = strconv.Atoi(v)
	case "n_packets":
		f.Packets, err = strconv.ParseUint(v, 10, 64)
	case "n_bytes":
		f.Bytes, err = strconv.ParseUint(v, 10, 64)
	case "idle_timeout":
		f.IdleTimeout, err = strconv.Atoi(v)
	case "hard_timeout":
		f.HardTimeout, err = strconv.Atoi(v)
	case "idle_age", "hard_age", "importance":
	default:
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("%s: %w", k, err)
	}
	return true, nil
}

func (f *Flow) addMatch(w string) error {
	for _, m := range strings.Split(w, ",") {
		if m == "" {
			continue
		}
		k, v, _ := strings.Cut(m, "=")
		if k == "priority" {
			p, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("priority: %w", err)
			}
			f.Priority = p
			continue
		}
		if _, dup := f.Match[k]; !dup {
			f.MatchKeys = append(f.MatchKeys, k)
		}
		f.Match[k] = v
	}
	return nil
}

// Meter is one meter of ovs-ofctl dump-meters.
type Meter struct {
	ID    uint32
	Flags []string // kbps, pktps, burst, stats
	Bands []MeterBand
}

// MeterBand is one band of a meter.
type MeterBand struct {
	Type      string // drop, dscp_remark
	Rate      uint64
	Burst     uint64
	PrecLevel int
}

// ParseMeters parses ovs-ofctl dump-meters output.
func ParseMeters(out string) ([]Meter, error) {
	var ms []Meter
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "OFPST_"):
		case strings.HasPrefix(line, "meter="):
			var m Meter
			for i, w := range strings.Fields(line) {
				if i == 0 {
					id, err := strconv.ParseUint(strings.TrimPrefix(w, "meter="), 10, 32)
					if err != nil {
						return nil, fmt.Errorf("ovslab: dump-meters: %q: %w", line, err)
					}
					m.ID = uint32(id)
				} else if w != "bands=" {
					m.Flags = append(m.Flags, w)
				}
			}
			ms = append(ms, m)
		case strings.HasPrefix(line, "type="):
			if len(ms) == 0 {
				return nil, fmt.Errorf("ovslab: dump-meters: band before meter: %q", line)
			}
			var b MeterBand
			for _, w := range strings.Fields(line) {
				k, v, _ := strings.Cut(w, "=")
				var err error
				switch k {
				case "type":
					b.Type = v
				case "rate":
					b.Rate, err = strconv.ParseUint(v, 10, 64)
				case "burst_size":
					b.Burst, err = strconv.ParseUint(v, 10, 64)
				case "prec_level":
					b.PrecLevel, err = strconv.Atoi(v)
				}
				if err != nil {
					return nil, fmt.Errorf("ovslab: dump-meters: %q: %w", line, err)
				}
			}
			ms[len(ms)-1].Bands = append(ms[len(ms)-1].Bands, b)
		default:
			return nil, fmt.Errorf("ovslab: dump-meters: unexpected line %q", line)
		}
	}
	return ms, nil
}

// MeterStats is one meter of ovs-ofctl meter-stats.
type MeterStats struct {
	ID        uint32
	FlowCount uint64
	Packets   uint64 // packet_in_count
	Bytes     uint64 // byte_in_count
	Duration  time.Duration
	Bands     []MeterBandStats
}

// MeterBandStats counts what one band acted on (for drop bands: dropped).
type MeterBandStats struct {
	Packets, Bytes uint64
}

// ParseMeterStats parses ovs-ofctl meter-stats output.
func ParseMeterStats(out string) ([]MeterStats, error) {
	var ms []MeterStats
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "OFPST_") {
			continue
		}
		kv := colonFields(line)
		if id, ok := kv["meter"]; ok {
			var m MeterStats
			var err error
			m.ID, err = parseU32(id)
			if err == nil {
				m.FlowCount, err = strconv.ParseUint(kv["flow_count"], 10, 64)
			}
			if err == nil {
				m.Packets, err = strconv.ParseUint(kv["packet_in_count"], 10, 64)
			}
			if err == nil {
				m.Bytes, err = strconv.ParseUint(kv["byte_in_count"], 10, 64)
			}
			if err == nil && kv["duration"] != "" {
				m.Duration, err = time.ParseDuration(kv["duration"])
			}
			if err != nil {
				return nil, fmt.Errorf("ovslab: meter-stats: %q: %w", line, err)
			}
			ms = append(ms, m)
			continue
		}
		if len(ms) == 0 {
			return nil, fmt.Errorf("ovslab: meter-stats: band before meter: %q", line)
		}
		var b MeterBandStats
		p, err1 := strconv.ParseUint(kv["packet_count"], 10, 64)
		by, err2 := strconv.ParseUint(kv["byte_count"], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("ovslab: meter-stats: unexpected line %q", line)
		}
		b.Packets, b.Bytes = p, by
		ms[len(ms)-1].Bands = append(ms[len(ms)-1].Bands, b)
	}
	return ms, nil
}

// colonFields splits "a:1 b:2 c:" into a map.
func colonFields(line string) map[string]string {
	kv := map[string]string{}
	for _, w := range strings.Fields(line) {
		k, v, _ := strings.Cut(w, ":")
		kv[k] = v
	}
	return kv
}

func parseU32(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 0, 32)
	return uint32(n), err
}

// Group is one group of ovs-ofctl dump-groups.
type Group struct {
	ID      uint32
	Type    string            // all, select, indirect, ff
	Props   map[string]string // other group properties (selection_method, ...)
	Buckets []string          // each bucket as printed, e.g. "weight:10,actions=output:1"
	Text    string
}

// ParseGroups parses ovs-ofctl dump-groups output.
func ParseGroups(out string) ([]Group, error) {
	var gs []Group
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "OFPST_") {
			continue
		}
		parts := strings.Split(line, ",bucket=")
		g := Group{Props: map[string]string{}, Buckets: parts[1:], Text: line}
		for _, kv := range strings.Split(parts[0], ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "group_id":
				id, err := parseU32(v)
				if err != nil {
					return nil, fmt.Errorf("ovslab: dump-groups: %q: %w", line, err)
				}
				g.ID = id
			case "type":
				g.Type = v
			default:
				g.Props[k] = v
			}
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// PortStats is one port of ovs-ofctl dump-ports.
type PortStats struct {
	Port                          string // "1", "LOCAL"
	RxPackets, RxBytes, RxDropped uint64
	RxErrors                      uint64
	TxPackets, TxBytes, TxDropped uint64
	TxErrors                      uint64
	Duration                      time.Duration
}

// ParsePortStats parses ovs-ofctl dump-ports output.
func ParsePortStats(out string) ([]PortStats, error) {
	var ps []PortStats
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "OFPST_") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "port "); ok {
			name, counters, _ := strings.Cut(rest, ":")
			ps = append(ps, PortStats{Port: strings.TrimSpace(name)})
			line = "rx " + strings.TrimPrefix(strings.TrimSpace(counters), "rx ")
		}
		if len(ps) == 0 {
			return nil, fmt.Errorf("ovslab: dump-ports: counters before port: %q", line)
		}
		p := &ps[len(ps)-1]
		if d, ok := strings.CutPrefix(line, "duration="); ok {
			dur, err := time.ParseDuration(d)
			if err != nil {
				return nil, fmt.Errorf("ovslab: dump-ports: %q: %w", line, err)
			}
			p.Duration = dur
			continue
		}
		dir, rest, _ := strings.Cut(line, " ")
		for _, kv := range strings.Split(rest, ", ") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue // "?" for counters the port does not keep
			}
			switch dir + " " + k {
			case "rx pkts":
				p.RxPackets = n
			case "rx bytes":
				p.RxBytes = n
			case "rx drop":
				p.RxDropped = n
			case "rx errs":
				p.RxErrors = n
			case "tx pkts":
				p.TxPackets = n
			case "tx bytes":
				p.TxBytes = n
			case "tx drop":
				p.TxDropped = n
			case "tx errs":
				p.TxErrors = n
			}
		}
	}
	return ps, nil
}

// PortDesc is one port of ovs-ofctl dump-ports-desc.
type PortDesc struct {
	Port   string // "1", "LOCAL"
	Name   string
	MAC    string
	Config []string // e.g. PORT_DOWN
	State  []string // e.g. LINK_DOWN, LIVE
}

// LinkUp reports whether the port has carrier and is not administratively
// down.
func (p PortDesc) LinkUp() bool {
	for _, s := range append(append([]string(nil), p.Config...), p.State...) {
		if s == "PORT_DOWN" || s == "LINK_DOWN" {
			return false
		}
	}
	return true
}

// ParsePortsDesc parses ovs-ofctl dump-ports-desc output.
func ParsePortsDesc(out string) ([]PortDesc, error) {
	var ps []PortDesc
	for _, raw := range strings.Split(out, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "OFPST_") {
			continue
		}
		if i := strings.Index(line, "): addr:"); i > 0 && strings.Contains(line[:i], "(") {
			num, name, _ := strings.Cut(line[:i], "(")
			ps = append(ps, PortDesc{Port: num, Name: name, MAC: line[i+len("): addr:"):]})
			continue
		}
		if len(ps) == 0 {
			return nil, fmt.Errorf("ovslab: dump-ports-desc: unexpected line %q", line)
		}
		p := &ps[len(ps)-1]
		k, v, _ := strings.Cut(line, ":")
		switch k {
		case "config":
			p.Config = strings.Fields(v)
		case "state":
			p.State = strings.Fields(v)
		}
	}
	return ps, nil
}
