package netevents_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/internal/eventbus"
	"github.com/voipsdn/voipsdn/internal/netevents"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

type nopEvents struct{}

func (nopEvents) DPAdded(uint64, string)             {}
func (nopEvents) DPRemoved(uint64, string)           {}
func (nopEvents) PacketIn(uint64, dp.Class, bool)    {}
func (nopEvents) PacketInDone(uint64, time.Duration) {}
func (nopEvents) FlowMods(uint64, int)               {}
func (nopEvents) Connected(uint64)                   {}
func (nopEvents) Disconnected(uint64)                {}
func (nopEvents) Reconfigured(uint64)                {}

// The key sets Faucet writes (faucetsdn/faucet HEAD): the header from
// FaucetEventNotifier.notify (faucet/faucet_event.py); L2_LEARN from
// Valve.learn_host_from_pkt's l2_learn_msg (without the optional
// stack_descr); L2_EXPIRE from Valve._update_expired_host... (the
// "L2_EXPIRE" notify in faucet/valve.py); PORT_CHANGE from
// Valve.port_status_handler; CONFIG_CHANGE from
// Valve._apply_config_changes and ValvesManager._apply_configs ("new");
// DP_CHANGE from Valve._cold_start and Valve.datapath_disconnect.
var faucetKeys = map[string][]string{
	"header":        {"version", "time", "dp_id", "dp_name", "event_id"},
	"L2_LEARN":      {"port_no", "previous_port_no", "vid", "eth_src", "eth_dst", "eth_type", "l3_src_ip", "l3_dst_ip"},
	"L2_EXPIRE":     {"port_no", "vid", "eth_src"},
	"PORT_CHANGE":   {"port_no", "reason", "state", "status"},
	"CONFIG_CHANGE": {"restart_type"},
	"DP_CHANGE":     {"reason"},
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

// A client of the Faucet event socket reads one JSON record per line with
// Faucet's field names for learn, expire, port, config and DP events, and
// VOIP_CALL records; a second client is refused, as Faucet refuses it.
func TestFaucetEventSocket(t *testing.T) {
	bus := eventbus.New()
	path := filepath.Join(t.TempDir(), "sub", "faucet.sock")
	sock := netevents.NewSocket(path, bus, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sock.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	var nc net.Conn
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		if nc, err = net.Dial("unix", path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer nc.Close()
	// Faucet's adapters connect; a second one is closed at once.
	second, err := net.Dial("unix", path)
	if err == nil {
		_ = second.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := second.Read(make([]byte, 1)); err == nil {
			t.Fatal("a second client was served")
		}
		second.Close()
	}

	ev := netevents.NewDPEvents(nopEvents{}, bus)
	ev.DPAdded(0x1, "sw1")
	ev.Connected(0x1)
	mac, _ := net.ParseMAC("0e:00:00:00:00:01")
	ev.HostLearned(0x1, 3, 0, 100, mac, netip.MustParseAddr("10.0.0.1"))
	ev.HostLearned(0x1, 4, 3, 100, mac, netip.Addr{})
	ev.HostExpired(0x1, 4, 100, mac)
	ev.PortChanged(0x1, of13.PortStatus{Reason: of13.PortModified, Port: of13.Port{No: 4, State: of13.PortStateLinkDown}})
	ev.Reconfigured(0x1)
	ev.Disconnected(0x1)
	calls := netevents.Calls{Bus: bus}
	calls.Event(call.CallStarted{Header: call.Header{Server: "pbx1", Call: "1.1"}, Leg: call.Leg{Uniqueid: "1.1", Channel: "PJSIP/201-1"}})
	calls.QoSInstalled("pbx1", "1.1", "1.1", time.Now(), []netevents.Placement{{DPID: 1, DPName: "sw1", Port: 3, VLAN: 100, DSCP: 46, MeterID: 7}})

	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewScanner(nc)
	var recs []map[string]any
	for len(recs) < 10 && rd.Scan() {
		var m map[string]any
		if err := json.Unmarshal(rd.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", rd.Text(), err)
		}
		recs = append(recs, m)
	}
	if len(recs) != 10 {
		t.Fatalf("%d records: %v", len(recs), rd.Err())
	}
	wantTypes := []string{"CONFIG_CHANGE", "DP_CHANGE", "L2_LEARN", "L2_LEARN", "L2_EXPIRE", "PORT_CHANGE", "CONFIG_CHANGE", "DP_CHANGE", "VOIP_CALL", "VOIP_CALL"}
	for i, r := range recs {
		typ := wantTypes[i]
		want := sorted(append(append([]string(nil), faucetKeys["header"]...), typ))
		if got := keys(r); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("record %d: keys %v, want %v", i, got, want)
		}
		if r["version"] != 1.0 || r["event_id"] != float64(i+1) {
			t.Fatalf("record %d header: %v", i, r)
		}
		if typ == "VOIP_CALL" {
			if r["dp_id"] != 0.0 || r["dp_name"] != "0" {
				t.Fatalf("call record header: %v", r)
			}
			continue
		}
		if r["dp_id"] != 1.0 || r["dp_name"] != "sw1" {
			t.Fatalf("record %d: %v", i, r)
		}
		body := r[typ].(map[string]any)
		if got, want := keys(body), sorted(faucetKeys[typ]); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s body keys %v, want Faucet's %v", typ, got, want)
		}
	}
	learn, moved := recs[2]["L2_LEARN"].(map[string]any), recs[3]["L2_LEARN"].(map[string]any)
	if learn["previous_port_no"] != nil || learn["l3_src_ip"] != "10.0.0.1" || learn["eth_src"] != "0e:00:00:00:00:01" ||
		moved["previous_port_no"] != 3.0 || moved["l3_src_ip"] != "None" {
		t.Fatalf("learn bodies: %v / %v", learn, moved)
	}
	pc := recs[5]["PORT_CHANGE"].(map[string]any)
	if pc["reason"] != "MODIFY" || pc["status"] != false {
		t.Fatalf("port change: %v", pc)
	}
	if recs[1]["DP_CHANGE"].(map[string]any)["reason"] != "cold_start" || recs[7]["DP_CHANGE"].(map[string]any)["reason"] != "disconnect" {
		t.Fatal("DP_CHANGE reasons")
	}
	qos := recs[9]["VOIP_CALL"].(map[string]any)
	pl := qos["qos"].([]any)[0].(map[string]any)
	if qos["event"] != "qos_installed" || pl["port_no"] != 3.0 || pl["vid"] != 100.0 || pl["dscp"] != 46.0 || pl["meter_id"] != 7.0 || pl["dp_name"] != "sw1" {
		t.Fatalf("qos record: %v", qos)
	}
}
