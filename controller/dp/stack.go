package dp

import (
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/stack"
)

// Stack port states, Faucet's numbers (port.py STACK_STATE_*): they go in
// the LLDP stack state TLV.
const (
	StackInit = 1
	StackBad  = 2
	StackUp   = 3
	StackGone = 4
)

// StackStateName names a stack port state as Faucet logs it.
func StackStateName(s int) string {
	switch s {
	case StackInit:
		return "INITIALIZING"
	case StackBad:
		return "BAD"
	case StackUp:
		return "UP"
	case StackGone:
		return "GONE"
	}
	return "NONE"
}

// stackPort is one stack port's link state (Port.dyn_stack_probe_info and
// dyn_stack_current_state).
type stackPort struct {
	state    int
	lastSeen time.Time
	correct  bool
	// remote is what the peer's last LLDP said: "dpid:name:port".
	remote string
	// changes counts state changes (port_stack_state_change_count).
	changes uint64
}

// fabric is the stack shared by the stacked DPs' goroutines: the
// topology, each stack port's state, which DPs run, the elected root and
// each DP's view. Faucet keeps one copy per Valve and updates them all
// from whichever Valve hears a change; here one copy under a lock does the
// same, and the DPs whose view changed are kicked to recompile.
type fabric struct {
	mu  sync.Mutex
	top *stack.Topology
	// cfg is the configuration top was built from.
	cfg   *config.Config
	ports map[stack.End]*stackPort
	live  map[string]bool
	root  string
	views map[string]*stack.View
	kicks map[uint64]chan struct{}
	// lastElect is when the root was last elected; rootEvery is how
	// often (Faucet's STACK_ROOT_STATE_UPDATE_TIME, 10 s). Between
	// elections link changes rebuild the tree under the same root, so a
	// DP whose ports come up a moment before the root's does not take
	// over at start.
	lastElect time.Time
	rootEvery time.Duration
	// Faucet's stack counters, kept across reloads: beacons heard and
	// beacons naming the wrong peer, per DP name (stack_probes_received,
	// stack_cabling_errors), and root changes (stack_root_change_count).
	probes      map[string]uint64
	cablingErrs map[string]uint64
	rootChanges uint64
}

// stackRootUpdate is how often the stack root is re-elected.
const stackRootUpdate = 10 * time.Second

func newFabric() *fabric {
	return &fabric{ports: map[stack.End]*stackPort{}, live: map[string]bool{},
		views: map[string]*stack.View{}, kicks: map[uint64]chan struct{}{}, rootEvery: stackRootUpdate,
		probes: map[string]uint64{}, cablingErrs: map[string]uint64{}}
}

// configure takes a new configuration. Ports that stay stack ports keep
// their state, so a reload does not take the stack down.
func (f *fabric) configure(cfg *config.Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = cfg
	f.top = stack.New(cfg)
	ports := map[stack.End]*stackPort{}
	if f.top != nil {
		for _, n := range f.top.Names() {
			for _, p := range f.top.Ports(n) {
				e := stack.End{DP: n, Port: p}
				if old := f.ports[e]; old != nil {
					ports[e] = old
				} else {
					// Faucet's port starts NONE and goes INIT at
					// its first update: one change already.
					ports[e] = &stackPort{state: StackInit, changes: 1}
				}
			}
		}
	}
	f.ports = ports
	if f.top != nil {
		if _, ok := f.top.DPs[f.root]; !ok {
			// Faucet's resolve_topology: no DP healthy yet, so the
			// lowest priority, then the lowest dp_id.
			f.setRootLocked(f.top.ConfigRoot())
		}
	}
	f.recomputeLocked(false)
}

// maintain re-elects the root when rootEvery has passed since the last
// election (Faucet's maintain_stack_root, on its timer).
func (f *fabric) maintain(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.top == nil || now.Sub(f.lastElect) < f.rootEvery {
		return
	}
	f.lastElect = now
	f.recomputeLocked(true)
}

// register gives DP id's goroutine its kick channel.
func (f *fabric) register(id uint64, kick chan struct{}) {
	f.mu.Lock()
	f.kicks[id] = kick
	f.mu.Unlock()
}

func (f *fabric) unregister(id uint64) {
	f.mu.Lock()
	delete(f.kicks, id)
	f.mu.Unlock()
}

// view returns DP name's current view, nil when it is not stacked.
func (f *fabric) view(name string) *stack.View {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.views[name]
}

// portState returns a stack port's state for its beacons.
func (f *fabric) portState(e stack.End) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.ports[e]; p != nil {
		return p.state
	}
	return StackInit
}

// recomputeLocked rebuilds the views, electing the root first when elect
// is set; when any view changed every registered DP is kicked (each checks
// its own).
func (f *fabric) recomputeLocked(elect bool) {
	if f.top == nil {
		if len(f.views) > 0 {
			f.views = map[string]*stack.View{}
			f.kickLocked()
		}
		return
	}
	s := stack.State{Up: map[stack.End]bool{}, Live: f.live}
	for e, p := range f.ports {
		if p.state == StackUp {
			s.Up[e] = true
		}
	}
	if elect || f.root == "" {
		f.setRootLocked(f.top.ElectRoot(f.root, s))
	}
	views := map[string]*stack.View{}
	for _, n := range f.top.Names() {
		views[n] = f.top.View(n, f.root, s)
	}
	if !reflect.DeepEqual(views, f.views) {
		f.views = views
		f.kickLocked()
	}
}

// setRootLocked makes root the stack root, counting a change as Faucet's
// set_stack_root does (the first root counts too).
func (f *fabric) setRootLocked(root string) {
	if root == "" || root == f.root {
		return
	}
	f.root = root
	f.rootChanges++
}

func (f *fabric) kickLocked() {
	for _, k := range f.kicks {
		select {
		case k <- struct{}{}:
		default: // a kick is already pending
		}
	}
}

// setLive records whether DP name's switch is connected.
func (f *fabric) setLive(name string, live bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live[name] == live {
		return
	}
	if live {
		f.live[name] = true
	} else {
		delete(f.live, name)
	}
	f.recomputeLocked(false)
}

// update runs Port.stack_port_update for DP name's stack ports: INIT until
// LLDP is heard, GONE after max_lldp_lost of the peer's send intervals
// without it, BAD when it names another DP or port than the config, else
// UP. It returns the transitions for logging.
func (f *fabric) update(now time.Time, d *config.DP, only uint32) []stackChange {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.top == nil {
		return nil
	}
	var out []stackChange
	for _, n := range f.top.Ports(d.Name) {
		if only != 0 && n != only {
			continue
		}
		e := stack.End{DP: d.Name, Port: n}
		sp := f.ports[e]
		if sp == nil {
			continue
		}
		next := sp.state
		switch {
		case sp.lastSeen.IsZero():
			if sp.state != StackGone {
				next = StackInit
			}
		default:
			interval := 5 * time.Second
			lost := 3
			if peer := f.cfg.DP(d.Port(n).Stack.DP); peer != nil && peer.LLDPBeacon != nil && peer.LLDPBeacon.SendInterval > 0 {
				interval = time.Duration(peer.LLDPBeacon.SendInterval) * time.Second
			}
			if p := d.Port(n); p != nil && p.MaxLLDPLost > 0 {
				lost = p.MaxLLDPLost
			}
			switch {
			case now.Sub(sp.lastSeen) >= time.Duration(lost)*interval:
				next = StackGone
			case !sp.correct:
				next = StackBad
			default:
				next = StackUp
			}
		}
		if next != sp.state {
			out = append(out, stackChange{port: n, from: sp.state, to: next, remote: sp.remote})
			sp.state = next
			sp.changes++
		}
	}
	if len(out) > 0 {
		f.recomputeLocked(false)
	}
	return out
}

type stackChange struct {
	port     uint32
	from, to int
	remote   string
}

// heard records a Faucet LLDP beacon on stack port e
// (ValveLLDPManager.verify_lldp): it is correct when it names the
// configured peer DP (dp_id and name) and port.
func (f *fabric) heard(now time.Time, e stack.End, dpid uint64, name string, port uint32) (correct bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sp := f.ports[e]
	if sp == nil || f.top == nil {
		return false
	}
	peer, _ := f.top.Peer(e)
	pd := f.top.DPs[peer.DP]
	sp.correct = pd != nil && dpid == pd.ID && name == pd.Name && port == peer.Port
	f.probes[e.DP]++
	if !sp.correct {
		f.cablingErrs[e.DP]++
	}
	sp.lastSeen = now
	sp.remote = strconv.FormatUint(dpid, 10) + ":" + name + ":" + strconv.FormatUint(uint64(port), 10)
	return sp.correct
}

// linkDown takes stack port e GONE at once when the switch reports its
// link down: waiting for the missed beacons would only delay the failover.
func (f *fabric) linkDown(e stack.End) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	sp := f.ports[e]
	if sp == nil {
		return false
	}
	sp.lastSeen = time.Time{}
	if sp.state == StackGone {
		return false
	}
	sp.state = StackGone
	sp.changes++
	f.recomputeLocked(false)
	return true
}

// StackPort is a stack port's state for View.
type StackPort struct {
	Port   uint32 `json:"port"`
	State  string `json:"state"`
	Remote string `json:"remote,omitempty"`
	// Code is State as Faucet's number (port_stack_state); Changes counts
	// its changes (port_stack_state_change_count).
	Code    int    `json:"state_code"`
	Changes uint64 `json:"state_changes"`
}

// StackStatus is a stacked DP's view of the stack, for View.
type StackStatus struct {
	Root       string      `json:"root"`
	RootDPID   uint64      `json:"root_dp_id"`
	ChosenPort uint32      `json:"root_hop_port"`
	Ports      []StackPort `json:"ports"`
	// ProbesReceived and CablingErrors count the Faucet beacons this DP's
	// stack ports heard, and those that named another peer than the
	// config's (stack_probes_received, stack_cabling_errors).
	ProbesReceived uint64 `json:"probes_received"`
	CablingErrors  uint64 `json:"cabling_errors"`
	// RootChanges counts stack root changes, the first root included
	// (stack_root_change_count); the same for every DP.
	RootChanges uint64 `json:"root_changes"`
}

// status returns DP name's stack status, nil when not stacked.
func (f *fabric) status(name string) *StackStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.top == nil || f.views[name] == nil {
		return nil
	}
	v := f.views[name]
	st := &StackStatus{Root: f.root, ChosenPort: v.ChosenPort, ProbesReceived: f.probes[name],
		CablingErrors: f.cablingErrs[name], RootChanges: f.rootChanges}
	if rd := f.top.DPs[f.root]; rd != nil {
		st.RootDPID = rd.ID
	}
	for _, n := range f.top.Ports(name) {
		sp := f.ports[stack.End{DP: name, Port: n}]
		st.Ports = append(st.Ports, StackPort{Port: n, State: StackStateName(sp.state), Remote: sp.remote,
			Code: sp.state, Changes: sp.changes})
	}
	return st
}

// StackStatus returns DP dpid's stack status, nil when it is not stacked.
func (m *Manager) StackStatus(dpid uint64) *StackStatus {
	r := m.runner(dpid)
	if r == nil {
		return nil
	}
	return m.stack.status(r.cfg.Load().Name)
}

// StackRoot returns the stack root's DP ID (0 without a stack) and how
// many times the root changed, the first root included.
func (m *Manager) StackRoot() (dpid uint64, changes uint64) {
	f := m.stack
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.top != nil {
		if rd := f.top.DPs[f.root]; rd != nil {
			dpid = rd.ID
		}
	}
	return dpid, f.rootChanges
}
