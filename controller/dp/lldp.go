package dp

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"time"

	"github.com/voipsdn/voipsdn/faucet/lldp"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// lldpState is a DP's LLDP: when each port last sent a beacon, which ports
// are down, and what each port last heard. The DP's goroutine owns it.
type lldpState struct {
	// sw is the session the rounds below belong to; a new session starts
	// afresh, so a reconnected switch gets its beacons at once.
	sw Switch
	// last is the time of the last round (Valve._last_lldp_advertise_sec).
	last time.Time
	// sent is when each port last sent (Port.dyn_last_lldp_beacon_time).
	sent map[uint32]time.Time
	// down holds ports the switch reported down: Faucet beacons only from
	// running ports (Port.running).
	down map[uint32]bool
	// heard is the last LLDP neighbour per configured port.
	heard map[uint32]Neighbor
}

// Neighbor is what a port last heard over LLDP.
type Neighbor struct {
	Port uint32 `json:"port"`
	// Src is the frame's Ethernet source.
	Src net.HardwareAddr `json:"src"`
	// ChassisID and PortID are shown as text: a MAC address for the MAC
	// subtype, the string for name-like subtypes, hex otherwise.
	ChassisID  string `json:"chassis_id"`
	PortID     string `json:"port_id"`
	SystemName string `json:"system_name,omitempty"`
	PortDescr  string `json:"port_descr,omitempty"`
	// FaucetDPID is the sender's dp_id when it is a Faucet DP with our
	// faucet_dp_mac OUI (valve_packet.parse_faucet_lldp), else 0.
	FaucetDPID uint64        `json:"faucet_dp_id,omitempty"`
	TTL        time.Duration `json:"ttl"`
	Seen       time.Time     `json:"seen"`
}

// lldpTick runs from the DP's timer: it sends a round of beacons when one
// is due (Valve.fast_advertise) and forgets neighbours whose TTL ran out.
func (r *runner) lldpTick(ctx context.Context, now time.Time) {
	l := &r.st.lldp
	for p, n := range l.heard {
		if now.Sub(n.Seen) > n.TTL {
			delete(l.heard, p)
		}
	}
	sw := r.st.sw
	if sw == nil {
		return
	}
	if l.sw != sw {
		// What was down in the old session may be up now: the switch
		// sends no port-status for ports that did not change.
		l.sw, l.last, l.sent, l.down = sw, time.Time{}, map[uint32]time.Time{}, nil
	}
	d := r.st.dp
	interval := lldp.Interval(d)
	if !l.last.IsZero() && now.Sub(l.last) < interval {
		return
	}
	l.last = now
	var msgs []of13.Message
	for _, p := range r.lldpSendPorts(now, interval) {
		l.sent[p] = now
		msgs = append(msgs, of13.PacketOut{
			BufferID: of13.NoBuffer, InPort: of13.PortController,
			Actions: []of13.Action{of13.Output(p)},
			Data:    r.beaconFor(p),
		})
	}
	if len(msgs) == 0 {
		return
	}
	// Beacons are not confirmed: a lost one is sent again next round.
	if err := sw.Send(ctx, msgs); err != nil {
		r.log.Warn("sending LLDP beacons failed", "err", err)
	}
}

// lldpSendPorts picks this round's ports as DP.lldp_beacon_send_ports
// does: running beacon ports that have not sent for an interval, in random
// order, at most max_per_interval of them. One deliberate difference: the
// ports that have waited longest go first (ties in random order), where
// Faucet draws at random, so every port is served in turn however the
// rounds fall against the interval. Ports with an LLDP-MED voice policy
// send every round and do not count against max_per_interval (as Faucet's
// stack ports): a phone must not lose its voice VLAN to the pacing.
func (r *runner) lldpSendPorts(now time.Time, interval time.Duration) []uint32 {
	l, d := &r.st.lldp, r.st.dp
	var always, paced []uint32
	for _, p := range d.Ports {
		if l.down[p.Number] || !lldp.Sends(d, p) {
			continue
		}
		switch {
		case p.LLDPMED != nil, p.Stack != nil:
			// Stack ports always send too: their beacons are the
			// stack's link health (DP.lldp_beacon_send_ports).
			always = append(always, p.Number)
		case now.Sub(l.sent[p.Number]) >= interval:
			paced = append(paced, p.Number)
		}
	}
	rand.Shuffle(len(paced), func(i, j int) { paced[i], paced[j] = paced[j], paced[i] })
	slices.SortStableFunc(paced, func(a, b uint32) int { return l.sent[a].Compare(l.sent[b]) })
	if d.LLDPBeacon != nil && len(paced) > d.LLDPBeacon.MaxPerInterval {
		paced = paced[:d.LLDPBeacon.MaxPerInterval]
	}
	return append(always, paced...)
}

// lldpLink records a port's link state from a port-status message.
func (m *Manager) lldpLink(ctx context.Context, r *runner, ev of13.PortStatus) {
	no, down := ev.Port.No, ev.Reason == of13.PortDeleted || !ev.Port.Up()
	_ = r.do(ctx, func(context.Context) error {
		if r.st.lldp.down == nil {
			r.st.lldp.down = map[uint32]bool{}
		}
		if down {
			r.st.lldp.down[no] = true
		} else {
			delete(r.st.lldp.down, no)
		}
		return nil
	})
}

// lldpReceive handles an LLDP frame from a port (Valve.lldp_handler for a
// non-stack port): it records the neighbour, logs it, and warns when the
// port's lldp_peer_mac says another sender was expected.
func (r *runner) lldpReceive(now time.Time, inPort uint32, data []byte) {
	d := r.st.dp
	p := d.Port(inPort)
	if p == nil {
		return
	}
	f, err := lldp.Parse(data)
	if err != nil {
		r.log.Debug("malformed LLDP frame", "port", inPort, "err", err)
		return
	}
	n := Neighbor{
		Port: inPort, Src: slices.Clone(f.Src), Seen: now,
		ChassisID:  idText(f.ChassisID()),
		PortID:     idText(f.PortID()),
		SystemName: printable(f.First(lldp.TypeSystemName)),
		PortDescr:  printable(f.First(lldp.TypePortDescr)),
		TTL:        time.Duration(f.TTL()) * time.Second,
	}
	for _, o := range f.Orgs(lldp.FaucetOUI(d)) {
		if o.Subtype == lldp.FaucetDPID {
			_, _ = fmt.Sscanf(string(o.Info), "%d", &n.FaucetDPID)
		}
	}
	if p.Stack != nil {
		r.stackLLDP(now, inPort, f)
	}
	if len(p.LLDPPeerMAC) == 6 && !bytes.Equal(p.LLDPPeerMAC, f.Src) {
		r.log.Warn("unexpected LLDP peer", "port", inPort, "src", n.Src.String(), "expected", p.LLDPPeerMAC.String())
	}
	l := &r.st.lldp
	if l.heard == nil {
		l.heard = map[uint32]Neighbor{}
	}
	prev, known := l.heard[inPort]
	if !known || prev.ChassisID != n.ChassisID || prev.PortID != n.PortID || prev.SystemName != n.SystemName {
		r.log.Info("LLDP neighbour", "port", inPort, "src", n.Src.String(), "chassis_id", n.ChassisID,
			"port_id", n.PortID, "system_name", n.SystemName, "faucet_dp_id", n.FaucetDPID)
	} else {
		r.log.Debug("LLDP", "port", inPort, "src", n.Src.String(), "chassis_id", n.ChassisID, "port_id", n.PortID)
	}
	if n.TTL == 0 {
		// A TTL of 0 is a shutdown LLDPDU: forget the neighbour.
		delete(l.heard, inPort)
		return
	}
	l.heard[inPort] = n
}

// idText shows a chassis or port ID: a MAC for subtype MAC address (chassis
// 4, port 3), the text for printable IDs, hex otherwise.
func idText(subtype uint8, id []byte) string {
	if len(id) == 6 && (subtype == lldp.ChassisMAC || subtype == 3) {
		return net.HardwareAddr(id).String()
	}
	if s := printable(id); s == string(id) {
		return s
	}
	return fmt.Sprintf("%x", id)
}

// printable returns b as a string with everything but printable ASCII
// replaced, so a peer cannot put control characters in the logs.
func printable(b []byte) string {
	out := []byte(nil)
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out = append(out, c)
	}
	return string(out)
}

// LLDPNeighbors returns what the ports of DP dpid last heard over LLDP,
// by port number.
func (m *Manager) LLDPNeighbors(ctx context.Context, dpid uint64) ([]Neighbor, error) {
	r := m.runner(dpid)
	if r == nil {
		return nil, fmt.Errorf("dp %#x: %w", dpid, ErrUnknownDP)
	}
	var out []Neighbor
	err := r.do(ctx, func(context.Context) error {
		for _, n := range r.st.lldp.heard {
			out = append(out, n)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Neighbor) int { return int(a.Port) - int(b.Port) })
	return out, err
}
