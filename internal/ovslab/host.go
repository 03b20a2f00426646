package ovslab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"time"
)

// HostSpec describes a namespace host.
type HostSpec struct {
	Name   string   // logical name, also used in the namespace and interface names
	Bridge string   // bridge to attach to
	OFPort int      // switch port number (ofport_request)
	Addrs  []string // "10.0.0.1/24", "fc00::1/64"; may be empty
	MAC    string   // optional; default a locally administered MAC derived from the lab and host
	// Gateway4/Gateway6 install default routes when set.
	Gateway4, Gateway6 string
}

// Host is a network namespace with one interface, Iface, whose other end is
// Port on a bridge.
type Host struct {
	lab *Lab

	Name  string
	NS    string // network namespace name (ip netns exec NS ...)
	Iface string // interface inside NS
	MAC   net.HardwareAddr
	Addrs []netip.Prefix
	Port  *Port  // the switch port the host hangs off
	VLAN  uint16 // tag added on the way to the switch (AddTaggedHost), else 0
}

var hostName = regexp.MustCompile(`^[a-zA-Z0-9_]{1,20}$`)

// AddHost creates a namespace host attached to spec.Bridge at spec.OFPort.
// TX checksum offload is off and IPv6 DAD disabled, so TCP, UDP and IPv6
// work immediately.
func (l *Lab) AddHost(spec HostSpec) (*Host, error) {
	return l.addHost(spec, 0)
}

// AddTaggedHost creates a host whose frames reach the switch port tagged
// with vid. The kernel here lacks 802.1Q, so a small standalone OVS bridge
// sits between the namespace (on an access port of vid) and the switch port
// (on a trunk). The host itself sends and receives untagged frames.
func (l *Lab) AddTaggedHost(spec HostSpec, vid uint16) (*Host, error) {
	if vid == 0 || vid > 4094 {
		return nil, fmt.Errorf("ovslab: host %s: bad vid %d", spec.Name, vid)
	}
	return l.addHost(spec, vid)
}

func (l *Lab) addHost(spec HostSpec, vid uint16) (*Host, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if !hostName.MatchString(spec.Name) {
		return nil, fmt.Errorf("ovslab: host name %q: want 1-20 letters, digits or _", spec.Name)
	}
	if _, err := l.bridge(spec.Bridge); err != nil {
		return nil, fmt.Errorf("ovslab: host %s: %w", spec.Name, err)
	}
	h := &Host{lab: l, Name: spec.Name, VLAN: vid}
	h.NS = netnsPrefix + l.id + "-" + spec.Name
	h.Iface = spec.Name + "-eth0"
	if len(h.Iface) > 15 {
		h.Iface = "eth0"
	}
	var err error
	if spec.MAC == "" {
		l.mu.Lock()
		n := len(l.hosts) + 1
		l.mu.Unlock()
		spec.MAC = fmt.Sprintf("0e:%02x:%02x:%02x:%02x:%02x", l.id[0], l.id[1], l.id[2], n>>8&0xff, n&0xff)
	}
	if h.MAC, err = net.ParseMAC(spec.MAC); err != nil {
		return nil, fmt.Errorf("ovslab: host %s: %w", spec.Name, err)
	}
	for _, a := range spec.Addrs {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return nil, fmt.Errorf("ovslab: host %s: address %q: %w", spec.Name, a, err)
		}
		h.Addrs = append(h.Addrs, p)
	}
	l.mu.Lock()
	if _, dup := l.hosts[spec.Name]; dup {
		l.mu.Unlock()
		return nil, fmt.Errorf("ovslab: host %q exists", spec.Name)
	}
	l.hosts[spec.Name] = h
	l.mu.Unlock()
	if err := l.setupNetns(h); err != nil {
		return nil, fmt.Errorf("ovslab: host %s: %w", spec.Name, err)
	}
	var uplink *Port
	if vid == 0 {
		uplink = &Port{lab: l, Name: l.newIfName("v"), Peer: h.Iface, PeerNS: h.NS}
		if err := l.createVeth(uplink.Name, uplink.Peer, h.NS); err != nil {
			return nil, fmt.Errorf("ovslab: host %s: %w", spec.Name, err)
		}
	} else {
		if uplink, err = l.tagBridge(h, vid); err != nil {
			return nil, fmt.Errorf("ovslab: host %s: %w", spec.Name, err)
		}
	}
	if err := l.configureIface(h, spec); err != nil {
		return nil, fmt.Errorf("ovslab: host %s: %w", spec.Name, err)
	}
	if err := uplink.attach(spec.Bridge, spec.OFPort); err != nil {
		return nil, fmt.Errorf("ovslab: host %s: %w", spec.Name, err)
	}
	h.Port = uplink
	return h, nil
}

// setupNetns creates the namespace with loopback up and DAD off, before any
// interface exists in it, so new interfaces inherit accept_dad=0.
func (l *Lab) setupNetns(h *Host) error {
	if _, err := l.run(l.bg(), "ip", "netns", "add", h.NS); err != nil {
		return err
	}
	for _, c := range [][]string{
		{"sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
			// No router solicitations: they are noise in flow counters and captures.
			"net.ipv6.conf.default.router_solicitations=0", "net.ipv6.conf.all.router_solicitations=0"},
		{"ip", "link", "set", "lo", "up"},
	} {
		if _, err := l.run(l.bg(), l.nsCmd(h.NS, c...)...); err != nil {
			return err
		}
	}
	return nil
}

// tagBridge builds the VLAN tagging helper for a tagged host: namespace
// veth -> access port (tag vid) of a standalone bridge -> trunk veth whose
// far end becomes the switch port.
func (l *Lab) tagBridge(h *Host, vid uint16) (*Port, error) {
	hb := l.newIfName("t")
	acc := l.newIfName("a")
	if err := l.createVeth(acc, h.Iface, h.NS); err != nil {
		return nil, err
	}
	trunk, sw := l.newIfName("k"), l.newIfName("v")
	if err := l.createVeth(sw, trunk, ""); err != nil {
		return nil, err
	}
	_, err := l.vsctl("add-br", hb, "--", "set", "bridge", hb, "datapath_type=netdev", "fail_mode=standalone",
		"other-config:disable-in-band=true",
		"--", "add-port", hb, acc, "--", "set", "port", acc, "tag="+strconv.Itoa(int(vid)),
		"--", "add-port", hb, trunk)
	if err != nil {
		return nil, err
	}
	return &Port{lab: l, Name: sw, Peer: trunk}, nil
}

func (l *Lab) configureIface(h *Host, spec HostSpec) error {
	cmds := [][]string{{"ip", "link", "set", h.Iface, "address", h.MAC.String()}}
	for _, p := range h.Addrs {
		c := []string{"ip", "addr", "add", p.String(), "dev", h.Iface}
		if p.Addr().Is6() {
			c = append(c, "nodad")
		}
		cmds = append(cmds, c)
	}
	cmds = append(cmds, []string{"ip", "link", "set", h.Iface, "up"})
	if spec.Gateway4 != "" {
		cmds = append(cmds, []string{"ip", "route", "add", "default", "via", spec.Gateway4, "dev", h.Iface})
	}
	if spec.Gateway6 != "" {
		cmds = append(cmds, []string{"ip", "-6", "route", "add", "default", "via", spec.Gateway6, "dev", h.Iface})
	}
	for _, c := range cmds {
		if _, err := l.run(l.bg(), l.nsCmd(h.NS, c...)...); err != nil {
			return err
		}
	}
	return nil
}

// Host returns the host named name, or nil.
func (l *Lab) Host(name string) *Host {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hosts[name]
}

// IP returns the host's first IPv4 address (invalid if none).
func (h *Host) IP() netip.Addr { return h.firstAddr(false) }

// IP6 returns the host's first IPv6 address (invalid if none).
func (h *Host) IP6() netip.Addr { return h.firstAddr(true) }

func (h *Host) firstAddr(v6 bool) netip.Addr {
	for _, p := range h.Addrs {
		if p.Addr().Is6() == v6 {
			return p.Addr()
		}
	}
	return netip.Addr{}
}

// Exec runs argv inside the host's namespace and returns its stdout. A
// failure returns a *CmdError with the command and its stderr. Without a
// deadline in ctx, the lab's command timeout applies.
func (h *Host) Exec(ctx context.Context, argv ...string) (string, error) {
	if len(argv) == 0 {
		return "", fmt.Errorf("ovslab: host %s: empty command", h.Name)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.lab.opts.CommandTimeout)
		defer cancel()
	}
	return h.lab.runNoTimeout(ctx, h.lab.nsCmd(h.NS, argv...)...)
}

// PingStats is the summary line of ping.
type PingStats struct {
	Sent, Received int
}

// Loss is the fraction of lost echo requests.
func (s PingStats) Loss() float64 {
	if s.Sent == 0 {
		return 0
	}
	return float64(s.Sent-s.Received) / float64(s.Sent)
}

var pingSummary = regexp.MustCompile(`(\d+) packets transmitted, (\d+) (?:packets )?received`)

// Ping sends count echo requests to dst (IPv4 or IPv6) 100ms apart and
// reports how many were answered. Losing packets is not an error; failing
// to run ping is.
func (h *Host) Ping(ctx context.Context, dst string, count int) (PingStats, error) {
	if count <= 0 {
		count = 1
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(count)*100*time.Millisecond+5*time.Second)
		defer cancel()
	}
	out, err := h.lab.runNoTimeout(ctx, h.lab.nsCmd(h.NS, "ping", "-n", "-c", strconv.Itoa(count), "-i", "0.1", "-W", "1", dst)...)
	m := pingSummary.FindStringSubmatch(out)
	if m == nil {
		if err == nil {
			err = fmt.Errorf("ovslab: ping %s from %s: no summary in %q", dst, h.Name, out)
		}
		return PingStats{}, err
	}
	s, _ := strconv.Atoi(m[1])
	r, _ := strconv.Atoi(m[2])
	return PingStats{Sent: s, Received: r}, nil
}

// WaitPing waits until dst answers a ping (neighbour discovery done, flows
// installed) or ctx ends.
func (h *Host) WaitPing(ctx context.Context, dst string) error {
	return poll(ctx, fmt.Sprintf("%s to reach %s", h.Name, dst), func() error {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		st, err := h.Ping(c, dst, 1)
		if err != nil {
			return err
		}
		if st.Received == 0 {
			return fmt.Errorf("no reply")
		}
		return nil
	})
}

// SetMAC changes the host's MAC address (for MAC-move tests).
func (h *Host) SetMAC(mac string) error {
	hw, err := net.ParseMAC(mac)
	if err != nil {
		return fmt.Errorf("ovslab: host %s: %w", h.Name, err)
	}
	if _, err := h.lab.run(h.lab.bg(), h.lab.nsCmd(h.NS, "ip", "link", "set", h.Iface, "address", hw.String())...); err != nil {
		return err
	}
	h.MAC = hw
	return nil
}

// String returns the host name.
func (h *Host) String() string { return h.Name }
