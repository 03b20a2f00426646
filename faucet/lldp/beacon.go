package lldp

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// Faucet's own organizationally specific TLVs carry the first three octets
// of the DP's faucet_dp_mac as OUI (valve_packet.faucet_oui).
const (
	// FaucetDPID holds the sender's dp_id in decimal ASCII
	// (valve_packet.LLDP_FAUCET_DP_ID).
	FaucetDPID = 1
	// FaucetStackState holds a stack port's state in decimal ASCII
	// (LLDP_FAUCET_STACK_STATE), sent on stack ports (StackBeacon).
	FaucetStackState = 2
)

// DefaultMEDInterval is how often a port that advertises LLDP-MED only
// (no Faucet beacon, or no dp-level lldp_beacon) sends: 802.1AB's default
// msgTxInterval.
const DefaultMEDInterval = 30 * time.Second

// Interval is how often d's ports send LLDP: the dp-level lldp_beacon
// send_interval, or DefaultMEDInterval without one.
func Interval(d *config.DP) time.Duration {
	if d.LLDPBeacon != nil {
		return time.Duration(d.LLDPBeacon.SendInterval) * time.Second
	}
	return DefaultMEDInterval
}

// FaucetBeacon reports whether Faucet sends beacons on p: the DP has an
// lldp_beacon section and the port's beacon is enabled
// (Port.lldp_beacon_enabled and DP.lldp_beacon_send_ports).
func FaucetBeacon(d *config.DP, p *config.Port) bool {
	return d.LLDPBeacon != nil && p.LLDPBeacon != nil && p.LLDPBeacon.Enable && p.Enabled
}

// Sends reports whether port p of d sends LLDP at all: a Faucet beacon, an
// LLDP-MED voice policy, or both.
func Sends(d *config.DP, p *config.Port) bool {
	return FaucetBeacon(d, p) || (p.LLDPMED != nil && p.Enabled)
}

// Beacon returns the LLDP frame port p of d sends, nil when it sends none.
//
// A Faucet beacon is built as Valve._send_lldp_beacon_on_port and
// valve_packet.lldp_beacon build it: from faucet_dp_mac to the nearest
// bridge address; chassis ID = faucet_dp_mac (subtype MAC address); port ID
// = the port number as text (subtype interface name); TTL = 3 send
// intervals (at most 65535); system name = the port's lldp_beacon
// system_name, else the DP's; port description; the port's org_tlvs; and
// Faucet's DP ID TLV.
//
// A port with an LLDP-MED voice policy adds, after the port description,
// the System Capabilities TLV (a bridge) and, after the org TLVs, the
// LLDP-MED Capabilities and Network Policy TLVs, in one LLDPDU: a receiver
// keeps one entry per chassis and port, so two frames would replace each
// other. A port with a policy and no Faucet beacon sends the same frame
// without org TLVs.
func Beacon(d *config.DP, p *config.Port) []byte { return beacon(d, p, -1) }

// StackBeacon is Beacon for a stack port in stack state state (Faucet's
// STACK_STATE_* numbers): after the DP ID TLV it carries the port's state
// in a Faucet TLV of subtype FaucetStackState
// (valve_packet.faucet_lldp_stack_state_tlvs), for the peer to log.
func StackBeacon(d *config.DP, p *config.Port, state int) []byte { return beacon(d, p, state) }

func beacon(d *config.DP, p *config.Port, stackState int) []byte {
	faucet := FaucetBeacon(d, p)
	med := p.LLDPMED != nil && p.Enabled
	if !faucet && !med {
		return nil
	}
	ttl := min(Interval(d)/time.Second*3, 65535)
	sysName, descr := d.Name, p.Description
	if d.LLDPBeacon != nil {
		sysName = d.LLDPBeacon.SystemName
	}
	if faucet {
		if p.LLDPBeacon.SystemName != "" {
			sysName = p.LLDPBeacon.SystemName
		}
		descr = p.LLDPBeacon.PortDescr
	}
	mac := d.FaucetDPMAC
	tlvs := []TLV{
		{Type: TypeChassisID, Value: append([]byte{ChassisMAC}, mac...)},
		{Type: TypePortID, Value: append([]byte{PortIfaceName}, strconv.FormatUint(uint64(p.Number), 10)...)},
		{Type: TypeTTL, Value: binary.BigEndian.AppendUint16(nil, uint16(ttl))},
		text(TypeSystemName, sysName),
		text(TypePortDescr, descr),
	}
	if med {
		tlvs = append(tlvs, systemCapabilities())
	}
	if faucet {
		for _, o := range p.LLDPBeacon.OrgTLVs {
			tlvs = append(tlvs, Org(o.OUI, o.Subtype, o.Info))
		}
		tlvs = append(tlvs, Org(FaucetOUI(d), FaucetDPID, strconv.AppendUint(nil, d.ID, 10)))
		if stackState >= 0 && p.Stack != nil {
			tlvs = append(tlvs, Org(FaucetOUI(d), FaucetStackState, strconv.AppendInt(nil, int64(stackState), 10)))
		}
	}
	if med {
		m := p.LLDPMED
		tlvs = append(tlvs, CapabilitiesTLV(), NetworkPolicy{
			App: AppVoice, Tagged: m.Tagged, VID: m.VID, Priority: m.Priority, DSCP: m.DSCP,
		}.TLV())
	}
	return Encode(NearestBridge, mac, tlvs)
}

// FaucetOUI is the OUI of d's Faucet TLVs: faucet_dp_mac's first octets.
func FaucetOUI(d *config.DP) uint32 {
	m := d.FaucetDPMAC
	return uint32(m[0])<<16 | uint32(m[1])<<8 | uint32(m[2])
}
