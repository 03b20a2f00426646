package lacp

import (
	"time"
)

// ActorState is what Faucet knows of the partner on one port; the values
// are Faucet's (port.py LACP_ACTOR_*), exported as port_lacp_state.
type ActorState int

// Actor states.
const (
	ActorNotConfigured ActorState = -1
	ActorNone          ActorState = 0 // port down
	ActorInit          ActorState = 1 // port up, no LACPDU heard (or it expired)
	ActorUp            ActorState = 3 // the partner's LACPDUs say it is in sync
	ActorNoSync        ActorState = 5 // LACPDUs heard, partner not in sync
)

func (s ActorState) String() string {
	switch s {
	case ActorNotConfigured:
		return "NOT_CONFIGURED"
	case ActorNone:
		return "NONE"
	case ActorInit:
		return "INITIALIZING"
	case ActorUp:
		return "UP"
	case ActorNoSync:
		return "NO_SYNC"
	}
	return "?"
}

// Role is a port's selection state; the values are Faucet's
// (port.py LACP_PORT_*), exported as port_lacp_role.
type Role int

// Roles.
const (
	RoleNotConfigured Role = -1
	RoleUnselected    Role = 1
	RoleSelected      Role = 2
	RoleStandby       Role = 3
)

func (r Role) String() string {
	switch r {
	case RoleNotConfigured:
		return "NOT_CONFIGURED"
	case RoleUnselected:
		return "UNSELECTED"
	case RoleSelected:
		return "SELECTED"
	case RoleStandby:
		return "STANDBY"
	}
	return "?"
}

// Config is one port's LACP configuration (the port's lacp_* keys).
type Config struct {
	LAG          uint16 // lacp: sent as the actor key
	PortID       uint16 // lacp_port_id (resolved by the config package)
	PortPriority uint16 // lacp_port_priority
	Active       bool   // lacp_active: send LACPDUs unprompted
	// Forced is lacp_selected / lacp_unselected as RoleSelected /
	// RoleUnselected; zero when neither is set.
	Forced               Role
	Standby              bool          // lacp_standby
	CollectAndDistribute bool          // lacp_collect_and_distribute
	RespInterval         time.Duration // lacp_resp_interval
}

// actorSystemPriority is what Faucet sends (valve_packet.lacp_reqreply).
const actorSystemPriority = 65535

// Port is one LACP port's state, following Faucet's simplified machine
// (port.py lacp_actor_update and lacp_port_update, valve.py lacp_update,
// valve_switch_standalone.py lacp_handler): Faucet does not run the
// 802.1AX selection logic. It answers every LACPDU with its own actor
// information and the sender's as partner, calls the port UP while the
// partner says it is in sync, and forwards on a port that is UP and
// SELECTED. On a standalone DP every LACP port is SELECTED unless forced.
// Time is an argument; the caller owns the value.
type Port struct {
	Config Config
	// Running is set while the port is up (Faucet's port.running()).
	Running bool
	// Actor and Role are the port's states; Changes counts the updates
	// that changed either (port_lacp_state_change_count).
	Actor   ActorState
	Role    Role
	Changes uint64
	// UpdatedAt is when the state was last updated; Last is the last
	// LACPDU heard (nil before one, and after expiry or a port change).
	UpdatedAt time.Time
	Last      *PDU
	// RespondedAt is when the last reply was sent.
	RespondedAt time.Time
}

// NewPort returns a port in the NOT_CONFIGURED states, as Faucet's cold
// start leaves it.
func NewPort(c Config) *Port {
	return &Port{Config: c, Actor: ActorNotConfigured, Role: RoleNotConfigured}
}

// Forwarding reports whether the port may carry traffic: partner in sync
// and port selected (Faucet's enable_forwarding condition).
func (p *Port) Forwarding() bool { return p.Actor == ActorUp && p.Role == RoleSelected }

// Update sets the port's states from what is now known: up is the
// partner's sync bit (false on port changes and expiry), pdu the LACPDU
// just heard, if any. It returns whether either state changed (Faucet's
// lacp_update: then the forwarding flows are recomputed).
func (p *Port) Update(now time.Time, up bool, pdu *PDU) bool {
	prevActor, prevRole := p.Actor, p.Role
	p.UpdatedAt, p.Last = now, pdu
	switch {
	case !p.Running:
		p.Actor = ActorNone
	case pdu == nil:
		p.Actor = ActorInit
	case up:
		p.Actor = ActorUp
	default:
		p.Actor = ActorNoSync
	}
	// lacp_port_update with selected=true: a standalone DP is always the
	// LAG's nominated DP.
	switch {
	case p.Config.Forced != 0:
		p.Role = p.Config.Forced
	default:
		p.Role = RoleSelected
	}
	changed := p.Actor != prevActor || p.Role != prevRole
	if changed {
		p.Changes++
	}
	return changed
}

// Reset returns the port to NOT_CONFIGURED, as Faucet's cold start of a
// port does before the port's first Update.
func (p *Port) Reset() {
	p.Actor, p.Role, p.Last = ActorNotConfigured, RoleNotConfigured, nil
}

// Receive handles an LACPDU heard at now. reply says whether to answer it
// now: when it differs from the last one, or when the last answer is older
// than lacp_resp_interval (lacp_handler). changed is Update's result for
// the partner's sync bit.
func (p *Port) Receive(now time.Time, pdu PDU) (reply, changed bool) {
	reply = p.Last == nil || *p.Last != pdu ||
		!p.RespondedAt.IsZero() && now.Sub(p.RespondedAt) > p.Config.RespInterval
	if reply {
		p.RespondedAt = now
	}
	changed = p.Update(now, pdu.Actor.State&StateSync != 0, &pdu)
	return reply, changed
}

// Expired reports whether an UP port has heard nothing for timeout
// (lacp_timeout; Valve._lacp_state_expire).
func (p *Port) Expired(now time.Time, timeout time.Duration) bool {
	return p.Actor == ActorUp && now.Sub(p.UpdatedAt) > timeout
}

// flags are the sync, collecting and distributing bits Faucet announces
// for the port's role (Port.get_lacp_flags).
func (p *Port) flags() State {
	all := StateSync | StateCollecting | StateDistributing
	switch {
	case p.Config.CollectAndDistribute:
		return all
	case p.Role == RoleStandby:
		return StateSync
	case p.Role == RoleSelected:
		return all
	}
	return 0
}

// Reply is the LACPDU Faucet sends on the port (lacp_req_reply): its own
// actor information (system = the DP's MAC, key = the LAG, short timeout,
// aggregatable) and, when it has heard one, the partner's actor
// information and state copied back as partner.
func (p *Port) Reply(system [6]byte, heard *PDU) PDU {
	st := StateTimeout | StateAggregation | p.flags()
	if p.Config.Active {
		st |= StateActivity
	}
	out := PDU{Version: versionLACP, Actor: Info{
		SystemPriority: actorSystemPriority,
		System:         system,
		Key:            p.Config.LAG,
		PortPriority:   p.Config.PortPriority,
		Port:           p.Config.PortID,
		State:          st,
	}}
	if heard != nil {
		out.Partner = heard.Actor
	}
	return out
}
