package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/stack"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// fabric is a stack of in-memory switches wired by their stack links.
// Learning follows the runtime: a host heard on a host port is learned
// there; one heard on a stack port is learned on the port towards the DP
// that learned it locally (edge learning), or not at all.
type fabric struct {
	t     *testing.T
	cfg   *config.Config
	top   *stack.Topology
	state stack.State
	root  string
	sw    map[string]*testSwitch
	// local is where each MAC was learned on a host port.
	local map[string]string
}

func newFabric(t *testing.T, path string) *fabric {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFileBytes(path, b)
	if err != nil {
		t.Fatal(err)
	}
	f := &fabric{t: t, cfg: cfg, top: stack.New(cfg), sw: map[string]*testSwitch{}, local: map[string]string{},
		state: stack.State{Up: map[stack.End]bool{}, Live: map[string]bool{}}}
	for _, l := range f.top.Links {
		f.state.Up[l.A], f.state.Up[l.Z] = true, true
	}
	for _, d := range cfg.DPs {
		f.state.Live[d.Name] = true
		f.sw[d.Name] = &testSwitch{t: t, dp: d, learned: NewLearned(), now: testTime}
	}
	f.retree()
	return f
}

// retree elects the root and recompiles every switch with its new view,
// forgetting hosts learned on stack ports as Faucet does on a topology
// change (del_port on every stack port).
func (f *fabric) retree() {
	f.root = f.top.ElectRoot(f.root, f.state)
	for name, s := range f.sw {
		s.learned.SetStack(f.top.View(name, f.root, f.state))
		for _, p := range f.top.Ports(name) {
			s.learned.PortDown(p)
		}
		s.reload()
	}
}

// cut takes a link down at both ends.
func (f *fabric) cut(a stack.End) {
	z, _ := f.top.Peer(a)
	delete(f.state.Up, a)
	delete(f.state.Up, z)
	f.retree()
}

// inject sends pkt into dp and follows it through the fabric. It returns
// the host ports (dp:port) it was delivered to, with counts.
func (f *fabric) inject(dp string, pkt oftable.Packet) map[string]int {
	f.t.Helper()
	got := map[string]int{}
	type hop struct {
		dp  string
		pkt oftable.Packet
	}
	queue := []hop{{dp, pkt}}
	for n := 0; len(queue) > 0; n++ {
		if n > 50 {
			f.t.Fatalf("packet loops in the fabric: %v", got)
		}
		h := queue[0]
		queue = queue[1:]
		s := f.sw[h.dp]
		r := s.tbl.Trace(h.pkt)
		learned := false
		for _, o := range r.Outputs {
			switch {
			case o.Port == of13.PortController:
				learned = f.learn(s, h.pkt, o.Packet) || learned
			case s.dp.Port(o.Port) != nil && s.dp.Port(o.Port).Stack != nil:
				peer, _ := f.top.Peer(stack.End{DP: h.dp, Port: o.Port})
				next := o.Packet
				next.InPort = peer.Port
				queue = append(queue, hop{peer.DP, next})
			default:
				got[fmt.Sprintf("%s:%d", h.dp, o.Port)]++
			}
		}
		if learned {
			s.reload()
		}
	}
	return got
}

func (f *fabric) learn(s *testSwitch, in, out oftable.Packet) bool {
	parsed := Packet{EthSrc: out.EthSrc, EthDst: out.EthDst, EthType: out.EthType}
	if len(out.VLANs) > 0 {
		parsed.Tagged, parsed.VLAN = true, out.VLANs[0].VID
	}
	c := Classify(s.dp, in.InPort, &parsed)
	if !c.Learnable {
		return false
	}
	port := in.InPort
	if s.dp.Port(port).Stack != nil {
		edge, ok := f.local[in.EthSrc.String()]
		if !ok || edge == s.dp.Name {
			return false
		}
		port = s.learned.Stack().EdgeLearnPort(edge, s.dp.VLAN(c.VID).EdgeLearnStackRoot)
		if port == 0 {
			return false
		}
	} else {
		f.local[in.EthSrc.String()] = s.dp.Name
	}
	res := s.learned.Learn(s.now.Add(time.Second), s.dp, port, c.VID, in.EthSrc)
	s.checkLearnResult(res)
	return res.Owner != ""
}

const (
	mac1 = "0e:00:00:00:01:01"
	mac2 = "0e:00:00:00:01:02"
	mac3 = "0e:00:00:00:01:03"
)

func wantDelivered(t *testing.T, what string, got map[string]int, want ...string) {
	t.Helper()
	w := map[string]int{}
	for _, x := range want {
		w[x]++
	}
	if fmt.Sprint(got) != fmt.Sprint(w) {
		t.Fatalf("%s: delivered %v, want each of %v once", what, got, want)
	}
}

// A broadcast from a host on any DP of a ring of three reaches every other
// DP's host exactly once and never comes back to its sender, with one
// link of the ring left out of the flood tree; after the root's link to s3
// is cut the tree is rebuilt and the same holds.
func TestStackRingBroadcastOnce(t *testing.T) {
	f := newFabric(t, "../stack/testdata/ring3.yaml")
	if f.root != "s1" {
		t.Fatalf("root %s", f.root)
	}
	bcast := "ff:ff:ff:ff:ff:ff"
	wantDelivered(t, "from s2", f.inject("s2", eth(1, mac2, bcast)), "s1:1", "s3:1")
	wantDelivered(t, "from s1", f.inject("s1", eth(1, mac1, bcast)), "s2:1", "s3:1")
	wantDelivered(t, "from s3", f.inject("s3", eth(1, mac3, bcast)), "s1:1", "s2:1")

	// Unicast between hosts on different DPs, once all are learned.
	wantDelivered(t, "s3 to s2", f.inject("s3", eth(1, mac3, mac2)), "s2:1")
	wantDelivered(t, "s2 to s3", f.inject("s2", eth(1, mac2, mac3)), "s3:1")
	wantDelivered(t, "s1 to s3", f.inject("s1", eth(1, mac1, mac3)), "s3:1")
	// Learned, not flooded: the eth_dst flow on s2 sends it one way.
	if r := f.sw["s2"].tbl.Trace(eth(1, mac2, mac3)); len(r.Outputs) != 1 || r.Outputs[0].Port != 3 {
		t.Fatalf("s2 to mac3 not forwarded by a learned flow towards the root: %v", r)
	}

	f.cut(stack.End{DP: "s1", Port: 3})
	if f.root != "s2" {
		t.Fatalf("root after the cut %s, want s2", f.root)
	}
	for _, src := range []struct{ dp, mac string }{{"s1", mac1}, {"s2", mac2}, {"s3", mac3}} {
		var want []string
		for _, d := range []string{"s1", "s2", "s3"} {
			if d != src.dp {
				want = append(want, d+":1")
			}
		}
		wantDelivered(t, "after cut from "+src.dp, f.inject(src.dp, eth(1, src.mac, bcast)), want...)
	}
	wantDelivered(t, "after cut s1 to s3", f.inject("s1", eth(1, mac1, mac3)), "s3:1")
	wantDelivered(t, "after cut s3 to s1", f.inject("s3", eth(1, mac3, mac1)), "s1:1")
}

// A stack port's untagged frames are dropped; its tagged ones are accepted
// for any VLAN of the DP.
func TestStackPortVLANTable(t *testing.T) {
	f := newFabric(t, "../stack/testdata/ring3.yaml")
	s := f.sw["s2"]
	if r := s.tbl.Trace(eth(2, mac3, "ff:ff:ff:ff:ff:ff")); len(r.Outputs) != 0 {
		t.Fatalf("untagged frame from a stack port forwarded: %v", r)
	}
	if r := s.tbl.Trace(tagged(eth(3, mac1, "ff:ff:ff:ff:ff:ff"), 100)); !bytes.Contains([]byte(fmt.Sprint(outs(r))), []byte("1:u")) {
		t.Fatalf("tagged broadcast from the root not flooded locally: %v", outs(r))
	}
}

// In a chain deeper than one hop Faucet floods by reflection: non-root DPs
// send local floods only towards the root, which reflects them back down.
// Every other host gets one copy; a host below the root also gets its own
// frame back (Faucet documents this), never more than once.
func TestStackChainReflection(t *testing.T) {
	f := newFabric(t, "../stack/testdata/chain3.yaml")
	if !f.top.Reflection || f.root != "a" {
		t.Fatalf("reflection %v root %s", f.top.Reflection, f.root)
	}
	bcast := "ff:ff:ff:ff:ff:ff"
	wantDelivered(t, "from a", f.inject("a", eth(1, mac1, bcast)), "b:1", "c:1")
	wantDelivered(t, "from b", f.inject("b", eth(1, mac2, bcast)), "a:1", "b:1", "c:1")
	wantDelivered(t, "from c", f.inject("c", eth(1, mac3, bcast)), "a:1", "b:1", "c:1")
	wantDelivered(t, "c to a", f.inject("c", eth(1, mac3, mac1)), "a:1")
	wantDelivered(t, "a to c", f.inject("a", eth(1, mac1, mac3)), "c:1")
	wantDelivered(t, "b to c", f.inject("b", eth(1, mac2, mac3)), "c:1")
	// The reflected copy of c's own broadcast did not move c's host on
	// c: it is still learned on its host port.
	if h, ok := f.sw["c"].learned.Host(100, mac(mac3)); !ok || h.Port != 1 {
		t.Fatalf("c's host after reflection: %+v %v", h, ok)
	}
}
