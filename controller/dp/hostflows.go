package dp

import (
	"net"
	"strings"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Learned hosts are the one kind of owner that comes and goes at packet-in
// rate, so they bypass the owner cache (controller.Cache). A host's flows
// are its own (nothing else installs an eth_src or eth_dst entry for its
// VLAN and MAC), so the cache's sharing rules and two-phase commit buy
// nothing for them and cost several map entries and a diff per host. The
// host table records the flows sent for each host as soon as they are
// sent (through the group commit, as Overtake changes: overtake.go); a
// switch that refuses them marks the DP dirty, and the next
// reconciliation (connect or reload) diffs against what the switch really
// holds, as it does for every owner.

// hostPrefix starts the owner key of every learned host
// (pipeline.HostOwner).
const hostPrefix = "host:"

func isHostOwner(owner string) bool { return strings.HasPrefix(owner, hostPrefix) }

// hostEntry is one learned host: where it was learned, and the flows the DP
// sent for it.
type hostEntry struct {
	// located is set once the host's location is published to the
	// Manager (learned or moved); port, vid and mac are that location.
	located bool
	port    uint32
	vid     uint16
	mac     net.HardwareAddr
	flows   []of13.Flow
}

// setHost makes owner's flows exactly flows: it adds to b a strict delete
// for each flow sent before and no longer wanted (by key) and an add for each
// new or changed flow (with force, for every flow: the switch may have timed
// them out), and records flows as sent.
func (r *runner) setHost(b *batch, owner string, flows []of13.Flow, force bool) {
	h := r.st.hosts[owner]
	var old []of13.Flow
	if h != nil {
		old = h.flows
	}
	b.touch(owner)
	for i := range old {
		if !containsKey(flows, &old[i]) {
			b.add(of13.DeleteStrict(old[i]))
		}
	}
	for i := range flows {
		if j := indexKey(old, &flows[i]); force || j < 0 || !old[j].Equal(&flows[i]) {
			b.add(of13.AddFlow(flows[i]))
		}
	}
	r.ctr.flows.Add(int64(len(flows) - len(old)))
	switch {
	case h == nil && len(flows) > 0:
		r.st.hosts[owner] = &hostEntry{flows: flows}
	case h != nil:
		h.flows = flows
	}
}

// indexKey returns the index in fs of the flow with f's key (table,
// priority, match), or -1. Hosts have two or three flows, so a scan beats
// computing keys.
func indexKey(fs []of13.Flow, f *of13.Flow) int {
	for i := range fs {
		if fs[i].Table == f.Table && fs[i].Priority == f.Priority && fs[i].Match.Equal(f.Match) {
			return i
		}
	}
	return -1
}

func containsKey(fs []of13.Flow, f *of13.Flow) bool { return indexKey(fs, f) >= 0 }
