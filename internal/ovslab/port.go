package ovslab

import (
	"fmt"
	"strconv"
	"strings"
)

// Port is a switch port backed by a veth pair: Name is the end attached
// to the bridge, Peer the other end (in PeerNS, "" for the root namespace).
type Port struct {
	lab *Lab

	Bridge string // logical bridge name
	OFPort int
	Name   string
	Peer   string
	PeerNS string
}

// AddPort adds a port to bridge with the given OpenFlow port number, as a
// veth pair whose other end stays unattached in the root namespace. Use it
// for port-status tests; hosts are added with AddHost.
func (l *Lab) AddPort(bridge string, ofport int) (*Port, error) {
	p := &Port{lab: l, Bridge: bridge, OFPort: ofport, Name: l.newIfName("p"), Peer: l.newIfName("q")}
	if err := l.createVeth(p.Name, p.Peer, ""); err != nil {
		return nil, err
	}
	if err := p.attach(bridge, ofport); err != nil {
		_ = l.deleteLink(l.bg(), p.Name)
		return nil, err
	}
	return p, nil
}

// createVeth creates a veth pair with peer placed in netns ns ("" = root),
// brings both ends up and turns TX checksum offload off on both.
func (l *Lab) createVeth(name, peer, ns string) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	ctx := l.bg()
	args := []string{"ip", "link", "add", name, "type", "veth", "peer", "name", peer}
	if ns != "" {
		args = append(args, "netns", ns)
	}
	if _, err := l.run(ctx, args...); err != nil {
		return err
	}
	cmds := [][]string{
		{"ip", "link", "set", name, "up"},
		// The veth offloads TX checksums to "hardware" that is OVS's
		// userspace datapath, which never fills them in: TCP and UDP
		// arrive with bad checksums unless offload is off.
		{"ethtool", "-K", name, "tx", "off"},
	}
	if ns == "" {
		cmds = append(cmds, []string{"ip", "link", "set", peer, "up"}, []string{"ethtool", "-K", peer, "tx", "off"})
	} else {
		cmds = append(cmds, l.nsCmd(ns, "ip", "link", "set", peer, "up"), l.nsCmd(ns, "ethtool", "-K", peer, "tx", "off"))
	}
	for _, c := range cmds {
		if _, err := l.run(ctx, c...); err != nil {
			return err
		}
	}
	return nil
}

// attach adds the port to bridge with ofport_request=ofport and checks
// that OVS granted that number.
func (p *Port) attach(bridge string, ofport int) error {
	l := p.lab
	b, err := l.bridge(bridge)
	if err != nil {
		return err
	}
	if _, err := l.vsctl("add-port", b.OVSName, p.Name, "--", "set", "interface", p.Name,
		"ofport_request="+strconv.Itoa(ofport)); err != nil {
		return fmt.Errorf("ovslab: attach %s to %s port %d: %w", p.Name, bridge, ofport, err)
	}
	got, err := l.OFPort(p.Name)
	if err == nil && got != ofport {
		err = fmt.Errorf("ovslab: %s on %s got ofport %d, want %d (number in use?)", p.Name, bridge, got, ofport)
	}
	if err != nil {
		_, _ = l.vsctl("--if-exists", "del-port", p.Name)
		return err
	}
	p.Bridge, p.OFPort = b.Name, ofport
	l.mu.Lock()
	l.ports = append(l.ports, p)
	l.mu.Unlock()
	return nil
}

// OFPort returns the OpenFlow port number OVS assigned to interface name.
func (l *Lab) OFPort(name string) (int, error) {
	out, err := l.vsctl("get", "interface", name, "ofport")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		return 0, fmt.Errorf("ovslab: ofport of %s: %q", name, out)
	}
	return n, nil
}

// Detach removes the port from its bridge; the link stays, so Attach can
// add it again (elsewhere).
func (p *Port) Detach() error {
	l := p.lab
	if _, err := l.vsctl("--if-exists", "del-port", p.Name); err != nil {
		return err
	}
	l.mu.Lock()
	for i, q := range l.ports {
		if q == p {
			l.ports = append(l.ports[:i], l.ports[i+1:]...)
			break
		}
	}
	l.mu.Unlock()
	return nil
}

// Attach (re)adds a detached port to bridge as ofport.
func (p *Port) Attach(bridge string, ofport int) error { return p.attach(bridge, ofport) }

// Move moves the port, and whatever is behind it, to another bridge or
// port number in one step: for host-move tests.
func (p *Port) Move(bridge string, ofport int) error {
	l := p.lab
	b, err := l.bridge(bridge)
	if err != nil {
		return err
	}
	// One transaction, so the switch sees a delete and an add, nothing in
	// between.
	if _, err := l.vsctl("del-port", p.Name, "--", "add-port", b.OVSName, p.Name,
		"--", "set", "interface", p.Name, "ofport_request="+strconv.Itoa(ofport)); err != nil {
		return fmt.Errorf("ovslab: move %s to %s port %d: %w", p.Name, bridge, ofport, err)
	}
	got, err := l.OFPort(p.Name)
	if err != nil {
		return err
	}
	if got != ofport {
		return fmt.Errorf("ovslab: %s on %s got ofport %d, want %d", p.Name, bridge, got, ofport)
	}
	p.Bridge, p.OFPort = b.Name, ofport
	return nil
}

// Delete removes the port from OVS and deletes the veth pair.
func (p *Port) Delete() error {
	if err := p.Detach(); err != nil {
		return err
	}
	return p.lab.deleteLink(p.lab.bg(), p.Name)
}

// DelPort removes the port with number ofport from bridge and deletes its
// link.
func (l *Lab) DelPort(bridge string, ofport int) error {
	b, err := l.bridge(bridge)
	if err != nil {
		return err
	}
	l.mu.Lock()
	var p *Port
	for _, q := range l.ports {
		if q.Bridge == b.Name && q.OFPort == ofport {
			p = q
		}
	}
	l.mu.Unlock()
	if p == nil {
		return fmt.Errorf("ovslab: %s has no port %d made by the lab", bridge, ofport)
	}
	return p.Delete()
}

// SetLink brings the far end of the link down or up, like pulling and
// re-plugging the cable: the switch port loses carrier (OFPPS_LINK_DOWN)
// while its own configuration stays up.
func (p *Port) SetLink(up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	args := []string{"ip", "link", "set", p.Peer, state}
	if p.PeerNS != "" {
		args = p.lab.nsCmd(p.PeerNS, args...)
	}
	_, err := p.lab.run(p.lab.bg(), args...)
	return err
}

// SetAdmin sets the switch end's administrative state, like
// "shutdown" on a switch port (OFPPC_PORT_DOWN).
func (p *Port) SetAdmin(up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	_, err := p.lab.run(p.lab.bg(), "ip", "link", "set", p.Name, state)
	return err
}

// nsCmd prefixes argv to run inside netns ns.
func (l *Lab) nsCmd(ns string, argv ...string) []string {
	return append([]string{"ip", "netns", "exec", ns}, argv...)
}
