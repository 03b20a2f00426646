package voicequality

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Egress is how the bottleneck link's sender queues packets.
type Egress int

const (
	// EgressFIFO is one queue: what a WAN router or switch that ignores
	// DSCP does.
	EgressFIFO Egress = iota
	// EgressDSCP serves packets marked EF (DSCP 46) first, as a WAN router
	// with a low-latency queue or a hardware switch with set_queue does.
	// This kernel has no prio qdisc, so it is an HTB with two classes: EF
	// with a guaranteed 30% of the link and the higher priority for the
	// rest, best effort with 70%, both allowed the whole link; a u32
	// filter on the DS field picks the class.
	EgressDSCP
)

func (e Egress) String() string {
	if e == EgressDSCP {
		return "DSCP-honouring"
	}
	return "FIFO"
}

// QueuePackets is each class's tail-drop buffer: 32 full-size frames, 38
// ms at 10 Mbit/s. Longer queues would measure Open vSwitch rather than
// the egress: the userspace datapath sends through an AF_PACKET socket,
// and the kernel keeps charging a packet to that socket's send buffer
// (about 200 KB) across the veth and while it waits in the shaper. With
// 50 frames queued, EF already lost 1.5% at 150% load: the buffer fills
// and OVS drops before the shaper sees the packet, EF or not.
const QueuePackets = 32

// ifbName is the shaper's device inside the WAN host's namespace.
const ifbName = "vqifb0"

// The bottleneck sits where the WAN host's link enters it: its ingress is
// redirected to an IFB device whose egress carries the shaper. So the
// queue drops packet by packet, as a router's does. A qdisc on the
// switch side's egress instead would refuse packets inside Open vSwitch's
// sendmmsg, and OVS then drops the rest of that transmit batch too.
func shapeCommands(iface string, mbit float64, e Egress) [][]string {
	rate := func(f float64) string { return strconv.FormatFloat(mbit*f*1000, 'f', 0, 64) + "kbit" }
	tc := func(args ...string) []string { return append([]string{"tc"}, args...) }
	dev := ifbName
	// A burst of a few frames keeps the shaper smooth at this rate.
	burst := "6kb"
	cmds := [][]string{
		{"ip", "link", "add", ifbName, "type", "ifb"},
		{"ip", "link", "set", ifbName, "up"},
		tc("qdisc", "add", "dev", iface, "handle", "ffff:", "ingress"),
		tc("filter", "add", "dev", iface, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
			"action", "mirred", "egress", "redirect", "dev", ifbName),
		tc("qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "20"),
		tc("class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb", "rate", rate(1), "ceil", rate(1), "burst", burst, "cburst", burst),
	}
	leaf := func(class string) []string {
		return tc("qdisc", "add", "dev", dev, "parent", "1:"+class, "handle", class+":", "pfifo", "limit", strconv.Itoa(QueuePackets))
	}
	if e == EgressDSCP {
		cmds = append(cmds,
			tc("class", "add", "dev", dev, "parent", "1:1", "classid", "1:10", "htb", "rate", rate(0.3), "ceil", rate(1), "prio", "0", "burst", burst, "cburst", burst),
			tc("class", "add", "dev", dev, "parent", "1:1", "classid", "1:20", "htb", "rate", rate(0.7), "ceil", rate(1), "prio", "1", "burst", burst, "cburst", burst),
			leaf("10"), leaf("20"),
			// DS field 0xb8 = DSCP 46 (EF); the mask leaves ECN out.
			tc("filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
				"match", "ip", "dsfield", "0xb8", "0xfc", "flowid", "1:10"))
	} else {
		cmds = append(cmds,
			tc("class", "add", "dev", dev, "parent", "1:1", "classid", "1:20", "htb", "rate", rate(1), "ceil", rate(1), "prio", "1", "burst", burst, "cburst", burst),
			leaf("20"))
	}
	return cmds
}

// Shape makes the link into iface, inside network namespace ns, a
// bottleneck of mbit Mbit/s with the given egress.
func Shape(ctx context.Context, ns, iface string, mbit float64, e Egress) error {
	for _, argv := range shapeCommands(iface, mbit, e) {
		if err := runCmd(ctx, append([]string{"ip", "netns", "exec", ns}, argv...)...); err != nil {
			return fmt.Errorf("shaping %s: %w", iface, err)
		}
	}
	return nil
}

// QueueStats returns the shaper's `tc -s qdisc show` in ns, to show which
// class carried and dropped what.
func QueueStats(ctx context.Context, ns string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "tc", "-s", "qdisc", "show", "dev", ifbName).CombinedOutput()
	return string(out)
}

func runCmd(ctx context.Context, argv ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
