// Package ovslab is the integration-test harness of voipsdn: it runs a
// private Open vSwitch (ovsdb-server and ovs-vswitchd on the userspace
// "netdev" datapath) and builds hosts around it from network namespaces
// and veth pairs, so tests can check what a real switch does with real
// packets.
//
// # Usage
//
//	func TestSomething(t *testing.T) {
//		lab := ovslab.New(t) // skips without root/OVS; fails instead if CI=true
//		lab.AddBridge("sw1", 1, ovslab.WithController("tcp:127.0.0.1:6653"))
//		h1, _ := lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "sw1", OFPort: 1,
//			Addrs: []string{"10.0.0.1/24", "fc00::1/64"}})
//		lab.WaitConnected(ctx, "sw1")
//		st, _ := h1.Ping(ctx, "10.0.0.2", 3)
//		flows, _ := lab.DumpFlows("sw1", "table=0")
//	}
//
// Programs other than tests (the demo) call Start(ctx, Options) and Close.
//
// Hosts: AddHost makes a namespace with one interface (TX checksum offload
// off, which the userspace datapath needs for TCP and UDP; IPv6 DAD off, so
// v6 addresses work at once). AddTaggedHost puts a small standalone OVS
// bridge between the namespace and the switch port, because this kernel
// has no 802.1Q: the switch sees the host's frames tagged. Host.Exec runs
// commands inside; Host.Do runs Go code on a thread inside the namespace,
// which ListenUDP, DialUDP, ReceiveUDP and SendUDPStream use so that UDP
// traffic and DSCP checks (IP_RECVTOS) need no external tools.
// Capture runs tcpdump into a pcap file and decodes it (VLAN tags, IPs,
// ports, TOS).
//
// Names: bridges and switch-side links get the prefix "vl<id>-" (id: four
// random characters per lab), namespaces "vsdnlab-<id>-<host>", the
// directory /tmp/voipsdn-ovslab-<id>. Bridge names given by tests are
// logical: lab methods translate them, and Bridge.OVSName is the real name.
//
// # Serialisation
//
// The userspace datapath creates a tap device named "ovs-netdev", so only
// one ovs-vswitchd with netdev bridges can run per network namespace. Start
// therefore takes an exclusive flock on DefaultLockPath
// (/run/lock/voipsdn-ovslab.lock) and holds it until Close: labs in all
// packages of "go test ./..." run one after another. Start waits for the
// lock as long as its context allows (New: until 30 s before the test's
// deadline).
//
// # Cleanup guarantees
//
// Close (registered with t.Cleanup by New, so it also runs when a test
// fails or panics) stops captures and receivers, stops ovs-vswitchd with
// "exit --cleanup" and ovsdb-server, killing either after a timeout (also
// when paused), kills processes left in the namespaces, deletes the
// namespaces and every link with the lab prefix, removes the directory and
// releases the lock. Every command runs under a timeout.
//
// If the test process dies without Close (go test timeout, SIGKILL), the
// OVS daemons and tcpdumps die with it: they are started with
// PR_SET_PDEATHSIG from a thread the lab keeps locked. Namespaces and links
// remain, and the next Start, holding the lock, removes every object with
// the lab prefixes; objects without them are never touched.
//
// # Concurrency
//
// A Lab's methods are safe for concurrent use. Receivers and Captures run
// until closed or until the lab closes.
//
// # OVS quirks the harness hides or documents
//
//   - Flow counters lag by up to a revalidator interval; DumpFlows calls
//     SyncStats (ovs-appctl revalidator/wait) first.
//   - The database's controller is_connected is refreshed only every 5 s;
//     WaitConnected also checks ovs-vswitchd's live TCP connections.
//   - Frames OVS sends out carry their VLAN tag inline, received frames have
//     it in metadata: a capture filter "icmp" misses the former; use
//     "icmp or (vlan and icmp)".
//   - set_queue has no effect on this datapath, and meter bands of type
//     dscp_remark are rejected (OFPMMFC_BAD_BAND); drop bands work.
package ovslab
