package pipeline

import (
	"cmp"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/stack"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Host is one learned host: a MAC on a VLAN, seen on a port.
type Host struct {
	MAC  net.HardwareAddr
	VID  uint16
	Port uint32
	// LearnedAt is when the host was last learned or refreshed (Faucet's
	// cache_time); Expire forgets it Timeout seconds later.
	LearnedAt time.Time
	// DeniedOn lists ports where a permanently learned host was seen
	// since; its frames are dropped there.
	DeniedOn []uint32
}

type hostKey struct {
	vid uint16
	mac [6]byte
}

func keyOf(vid uint16, mac net.HardwareAddr) hostKey {
	k := hostKey{vid: vid}
	copy(k.mac[:], mac)
	return k
}

// Learned is the runtime learned state of one DP: hosts per VLAN and
// temporary learning bans. The caller (controller/dp) owns it: Learn,
// Expire and PortDown change it, Compile only reads it. It is not safe
// for concurrent use.
type Learned struct {
	hosts    map[hostKey]*Host
	portBans map[uint32]time.Time // until
	vlanBans map[uint16]time.Time // until
	// loopBans is when loop protection last banned each port.
	loopBans map[uint32]time.Time
	// perPort and perVLAN count hosts, for max_hosts.
	perPort map[uint32]int
	perVLAN map[uint16]int
	// routes is the FIB (route.go): resolved routes by prefix.
	routes map[netip.Prefix]FIBEntry
	opts   options
	cache  *compiler
	// expiry queues hosts in learning order (expiry.go);
	// expiryChecked is the configuration every host was last checked
	// against.
	expiry        expiryQueue
	expiryChecked *config.DP
	// lacpUp holds the LACP ports that may forward (lacp.go).
	lacpUp map[uint32]bool
	// stack is the DP's place in the stack tree (stack.go).
	stack *stack.View
}

// NewLearned returns empty learned state. opts are the compile options
// Learn builds host flows for; pass Compile the same ones.
func NewLearned(opts ...Option) *Learned {
	l := &Learned{
		hosts:    map[hostKey]*Host{},
		portBans: map[uint32]time.Time{},
		vlanBans: map[uint16]time.Time{},
		loopBans: map[uint32]time.Time{},
		perPort:  map[uint32]int{},
		perVLAN:  map[uint16]int{},
	}
	for _, o := range opts {
		o(&l.opts)
	}
	return l
}

// HostOwner is the owner key of a learned host's flows.
func HostOwner(vid uint16, mac net.HardwareAddr) string {
	return "host:" + strconv.Itoa(int(vid)) + "/" + mac.String()
}

// PortBanOwner is the owner key of a port's learning ban.
func PortBanOwner(port uint32) string { return "ban:port:" + strconv.FormatUint(uint64(port), 10) }

// VLANBanOwner is the owner key of a VLAN's learning ban.
func VLANBanOwner(vid uint16) string { return "ban:vlan:" + strconv.Itoa(int(vid)) }

// Outcome is what Learn did.
type Outcome int

// Learn outcomes.
const (
	// OutcomeIgnored: nothing changed (unknown port or VLAN, non-unicast
	// source, host learned within the guard time, permanent host on its port).
	OutcomeIgnored Outcome = iota
	// OutcomeLearned: a new host; install Flows.
	OutcomeLearned
	// OutcomeRefreshed: a known host on the same port after its eth_src
	// flow expired on the switch; re-add Flows even if unchanged.
	OutcomeRefreshed
	// OutcomeMoved: a known host on a new port; Flows replace its old ones.
	OutcomeMoved
	// OutcomeDenied: a permanently learned host seen on another port;
	// Flows now also drop it there.
	OutcomeDenied
	// OutcomeBanned: max_hosts reached or loop protection triggered;
	// Flows is a ban that stops learning for learn_ban_timeout.
	OutcomeBanned
)

var outcomeNames = [...]string{"ignored", "learned", "refreshed", "moved", "denied", "banned"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "outcome" + strconv.Itoa(int(o))
}

// OwnerFlows is one owner's complete flow set.
type OwnerFlows struct {
	Owner string
	Flows []of13.Flow
}

// LearnResult says what to change on the switch after a packet-in.
type LearnResult struct {
	Outcome Outcome
	Reason  string
	// Owner's flows are now exactly Flows (empty Owner: nothing to set).
	Owner string
	Flows []of13.Flow
	// Extra holds further owners to set (a VLAN ban alongside a port ban).
	Extra []OwnerFlows
	// Evicted owners' flows must be deleted.
	Evicted []string
}

// compilerFor returns a compiler for dp with an empty emitter, caching the
// layout while dp stays the same.
func (l *Learned) compilerFor(dp *config.DP) (*compiler, error) {
	if l.cache == nil || l.cache.dp != dp {
		c, err := newCompiler(dp, l, nil)
		if err != nil {
			return nil, err
		}
		l.cache = c
	}
	c := l.cache
	// The map is reused; the slices it held belong to the callers now.
	if c.e.flows == nil {
		c.e.flows = map[string][]of13.Flow{}
	} else {
		clear(c.e.flows)
	}
	c.e.err = nil
	return c, nil
}

func (c *compiler) ownerFlows(owner string) ([]of13.Flow, error) {
	if c.e.err != nil {
		return nil, c.e.err
	}
	fs := c.e.flows[owner]
	SortFlows(fs)
	return fs, nil
}

// Learn decides what to do with a packet-in from src on inPort in VLAN
// vid, following Faucet's learn_host_on_vlan_ports: max_hosts bans,
// permanent_learn, the cache guard time, loop protection, then learning
// or moving the host. It is pure given now and dp; it updates l.
func (l *Learned) Learn(now time.Time, dp *config.DP, inPort uint32, vid uint16, src net.HardwareAddr) LearnResult {
	c, err := l.compilerFor(dp)
	if err != nil {
		return LearnResult{Reason: err.Error()}
	}
	p, v := c.vlanPort(inPort), c.vlans[vid]
	switch {
	case p == nil:
		return LearnResult{Reason: "port " + strconv.FormatUint(uint64(inPort), 10) + " not configured for VLANs"}
	case v == nil || !c.carries(v, inPort):
		return LearnResult{Reason: "vlan " + strconv.Itoa(int(vid)) + " not on port " + strconv.FormatUint(uint64(inPort), 10)}
	case len(src) != 6 || IsMulticastMAC(src):
		return LearnResult{Reason: "not a unicast source"}
	}
	key := keyOf(vid, src)
	entry := l.hosts[key]
	banFor := time.Duration(dp.LearnBanTimeout) * time.Second
	guard := time.Duration(dp.CacheUpdateGuardTime) * time.Second

	if entry == nil {
		var res LearnResult
		if p.MaxHosts > 0 && l.HostsOnPort(inPort) >= p.MaxHosts {
			l.portBans[inPort] = now.Add(banFor)
			res = c.banResult(PortBanOwner(inPort), "max_hosts reached on port")
		}
		if v.MaxHosts > 0 && l.HostsOnVLAN(vid) >= v.MaxHosts {
			l.vlanBans[vid] = now.Add(banFor)
			vr := c.banResult(VLANBanOwner(vid), "max_hosts reached on vlan")
			if res.Owner == "" {
				res = vr
			} else {
				res.Extra = append(res.Extra, OwnerFlows{Owner: vr.Owner, Flows: vr.Flows})
			}
		}
		if res.Owner != "" {
			return res
		}
	}
	var age time.Duration
	if entry != nil {
		age = now.Sub(entry.LearnedAt)
		if ep := c.ports[entry.Port]; ep != nil && ep.PermanentLearn {
			if entry.Port == inPort {
				return LearnResult{Reason: "permanently learned"}
			}
			if !slices.Contains(entry.DeniedOn, inPort) {
				entry.DeniedOn = append(entry.DeniedOn, inPort)
				slices.Sort(entry.DeniedOn)
			}
			return c.hostResult(OutcomeDenied, "permanently learned on port "+strconv.FormatUint(uint64(entry.Port), 10), entry)
		}
		if entry.Port == inPort && age < guard {
			return LearnResult{Reason: "learned within cache_update_guard_time"}
		}
	}
	if p.LoopProtect {
		last, banned := l.loopBans[inPort]
		ban := banned && now.Sub(last) < guard
		if !ban && entry != nil && entry.Port != inPort && age < guard {
			ban = true
		}
		if ban {
			l.loopBans[inPort] = now
			l.portBans[inPort] = now.Add(banFor)
			return c.banResult(PortBanOwner(inPort), "loop_protect: rapid host move")
		}
	}
	outcome := OutcomeLearned
	switch {
	case entry != nil && entry.Port == inPort:
		outcome = OutcomeRefreshed
	case entry != nil:
		outcome = OutcomeMoved
	}
	h := &Host{MAC: append(net.HardwareAddr(nil), src...), VID: vid, Port: inPort, LearnedAt: now}
	l.remove(key)
	l.insert(key, h)
	return c.hostResult(outcome, "", h)
}

func (c *compiler) hostResult(o Outcome, reason string, h *Host) LearnResult {
	owner := HostOwner(h.VID, h.MAC)
	c.hostFlows(owner, h)
	fs, err := c.ownerFlows(owner)
	if err != nil {
		return LearnResult{Reason: err.Error()}
	}
	return LearnResult{Outcome: o, Reason: reason, Owner: owner, Flows: fs}
}

func (c *compiler) banResult(owner, reason string) LearnResult {
	c.banFlows(owner)
	fs, err := c.ownerFlows(owner)
	if err != nil {
		return LearnResult{Reason: err.Error()}
	}
	return LearnResult{Outcome: OutcomeBanned, Reason: reason, Owner: owner, Flows: fs}
}

// banFlows emits the ban flow an owner key stands for.
func (c *compiler) banFlows(owner string) {
	for n := range c.ports {
		if owner == PortBanOwner(n) {
			c.banFlow(owner, of13.NewMatch(of13.InPort(n)))
			return
		}
	}
	for vid := range c.vlans {
		if owner == VLANBanOwner(vid) {
			c.banFlow(owner, of13.NewMatch(of13.VlanVID(vid)))
			return
		}
	}
}

// hostValid reports whether a learned host's port still carries its VLAN.
func (c *compiler) hostValid(h *Host) (*config.Port, *config.VLAN, bool) {
	p, v := c.vlanPort(h.Port), c.vlans[h.VID]
	if p == nil || v == nil || !c.carries(v, h.Port) {
		return nil, nil, false
	}
	return p, v, true
}

func (c *compiler) hostFlows(owner string, h *Host) {
	p, v, ok := c.hostValid(h)
	if !ok {
		return
	}
	c.hostSourceFlow(owner, h, p)
	c.hostDestFlows(owner, h, v, p)
}

// learnedFlows compiles the learned hosts and active bans.
func (c *compiler) learnedFlows() error {
	l := c.learned
	for _, h := range l.hosts {
		c.hostFlows(HostOwner(h.VID, h.MAC), h)
	}
	for n := range l.portBans {
		if c.ports[n] != nil {
			c.banFlow(PortBanOwner(n), of13.NewMatch(of13.InPort(n)))
		}
	}
	for vid := range l.vlanBans {
		if c.vlans[vid] != nil {
			c.banFlow(VLANBanOwner(vid), of13.NewMatch(of13.VlanVID(vid)))
		}
	}
	return nil
}

// PortDown forgets the hosts learned on a port (Faucet clears them when a
// port goes down) and returns their owners.
func (l *Learned) PortDown(port uint32) []string {
	var out []string
	for k, h := range l.hosts {
		if h.Port == port {
			l.remove(k)
			out = append(out, HostOwner(h.VID, h.MAC))
		}
	}
	slices.Sort(out)
	return out
}

// Host returns a copy of the learned host, if any.
func (l *Learned) Host(vid uint16, mac net.HardwareAddr) (Host, bool) {
	h, ok := l.hosts[keyOf(vid, mac)]
	if !ok {
		return Host{}, false
	}
	cp := *h
	cp.DeniedOn = slices.Clone(h.DeniedOn)
	return cp, true
}

// Hosts returns copies of all learned hosts, by VLAN then MAC.
func (l *Learned) Hosts() []Host {
	out := make([]Host, 0, len(l.hosts))
	for _, h := range l.hosts {
		cp := *h
		cp.DeniedOn = slices.Clone(h.DeniedOn)
		out = append(out, cp)
	}
	slices.SortFunc(out, func(a, b Host) int {
		if c := cmp.Compare(a.VID, b.VID); c != 0 {
			return c
		}
		return slices.Compare(a.MAC, b.MAC)
	})
	return out
}

func (l *Learned) insert(k hostKey, h *Host) {
	l.hosts[k] = h
	l.expiry.push(k, h, h.LearnedAt)
	l.perPort[h.Port]++
	l.perVLAN[h.VID]++
}

func (l *Learned) remove(k hostKey) {
	h, ok := l.hosts[k]
	if !ok {
		return
	}
	delete(l.hosts, k)
	if l.perPort[h.Port]--; l.perPort[h.Port] <= 0 {
		delete(l.perPort, h.Port)
	}
	if l.perVLAN[h.VID]--; l.perVLAN[h.VID] <= 0 {
		delete(l.perVLAN, h.VID)
	}
}

// HostsOnPort counts the hosts learned on a port, over all VLANs.
func (l *Learned) HostsOnPort(port uint32) int { return l.perPort[port] }

// HostsOnVLAN counts the hosts learned on a VLAN.
func (l *Learned) HostsOnVLAN(vid uint16) int { return l.perVLAN[vid] }
