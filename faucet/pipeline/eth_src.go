package pipeline

import (
	"hash/fnv"
	"net"
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// sourceFilters drop, in eth_src, frames Faucet never forwards: frames from
// the broadcast address, ECTP loopback frames, and frames spoofing a
// Faucet MAC (valve_pipeline.initialise_tables, add_drop_spoofed_faucet_mac_rules).
func (c *compiler) sourceFilters() {
	if c.dp.DropBroadcastSourceAddress {
		c.e.add(OwnerDP, flowSpec{
			Table: TableEthSrc, Priority: priorityFilter,
			Match: of13.NewMatch(of13.EthSrc(macBroadcast)),
		})
	}
	c.e.add(OwnerDP, flowSpec{
		Table: TableEthSrc, Priority: priorityFilter + 10,
		Match: of13.NewMatch(of13.EthType(EthTypeECTP)),
	})
	if c.dp.DropSpoofedFaucetMAC {
		// VLANs usually share one Faucet MAC: one flow per distinct MAC.
		var seen []string
		for _, v := range c.dp.VLANs {
			if len(v.FaucetMAC) != 6 || slices.Contains(seen, v.FaucetMAC.String()) {
				continue
			}
			seen = append(seen, v.FaucetMAC.String())
			if c.dp.Stack != nil {
				// A stack carries the other DPs' frames from their
				// Faucet MAC: drop it on the non-stack ports only
				// (ValveSwitchStackManagerBase.add_drop_spoofed_faucet_mac_rules).
				for _, p := range c.dp.Ports {
					if p.Stack == nil {
						c.e.add(OwnerDP, flowSpec{
							Table: TableEthSrc, Priority: priorityFilter,
							Match: of13.NewMatch(of13.InPort(p.Number), of13.EthSrc(v.FaucetMAC)),
						})
					}
				}
				continue
			}
			c.e.add(OwnerDP, flowSpec{
				Table: TableEthSrc, Priority: priorityFilter,
				Match: of13.NewMatch(of13.EthSrc(v.FaucetMAC)),
			})
		}
	}
}

// unknownSourceFlow sends a VLAN's frames from unlearned sources to the
// controller (96 bytes, for learning) and on to forwarding.
func (c *compiler) unknownSourceFlow(v *config.VLAN) {
	c.e.add(VLANOwner(v.VID), flowSpec{
		Table: TableEthSrc, Priority: priorityLow,
		Match: of13.NewMatch(of13.VlanVID(v.VID)),
		Apply: []of13.Action{of13.OutputController(learnMaxLen)},
		Goto:  c.outputTable(),
	})
}

// hostTimeouts returns a learned host's flow timeouts. The eth_src flow
// gets a hard timeout jittered per MAC below the DP timeout, the eth_dst
// flow an idle timeout a guard time longer: the source entry always
// expires first, so a host that still sends is relearned before the switch
// forgets where it is and floods its traffic (ValveSwitchManager._learn_host_timeouts).
func hostTimeouts(dp *config.DP, p *config.Port, mac net.HardwareAddr) (srcIdle, srcHard, dstIdle uint16) {
	learn := jitteredTimeout(dp, p, mac)
	dst := 0
	if dp.UseIdleTimeout {
		// Flow-removed mode: the source entry idles out and the
		// controller relearns on the removal notice.
		return clampTimeout(learn), 0, clampTimeout(learn + dp.CacheUpdateGuardTime)
	}
	if dp.IdleDst && learn > 0 {
		dst = learn + dp.CacheUpdateGuardTime
	}
	return 0, clampTimeout(learn), clampTimeout(dst)
}

// jitteredTimeout is Faucet's _jitter_learn_timeout with a stable hash:
// timeout - jitter + hash(mac) % jitter, at least the guard time, 0 for
// permanent_learn ports.
func jitteredTimeout(dp *config.DP, p *config.Port, mac net.HardwareAddr) int {
	if p.PermanentLearn || dp.Timeout == 0 {
		return 0
	}
	j := 0
	if dp.LearnJitter > 0 {
		h := fnv.New32a()
		h.Write(mac)
		j = int(h.Sum32() % uint32(dp.LearnJitter))
	}
	t := dp.Timeout - dp.LearnJitter + j
	if t < 0 {
		t = -t
	}
	return max(t, dp.CacheUpdateGuardTime)
}

func clampTimeout(t int) uint16 {
	if t > 0xffff {
		return 0xffff
	}
	if t < 0 {
		return 0
	}
	return uint16(t)
}

// hostSourceFlow stops a learned host's frames from reaching the
// controller. It sits just below the eth_dst host priority, as Faucet's
// does, so nothing at highest priority can be shadowed.
func (c *compiler) hostSourceFlow(owner string, h *Host, p *config.Port) {
	idle, hard, _ := hostTimeouts(c.dp, p, h.MAC)
	c.e.add(owner, flowSpec{
		Table: TableEthSrc, Priority: priorityMatch - 1,
		Match: of13.NewMatch(of13.InPort(h.Port), of13.VlanVID(h.VID), of13.EthSrc(h.MAC)),
		Goto:  c.outputTable(),
		Idle:  idle, Hard: hard,
	})
	// A permanently learned host seen on other ports: drop it there.
	for _, d := range h.DeniedOn {
		c.e.add(owner, flowSpec{
			Table: TableEthSrc, Priority: priorityFilter,
			Match: of13.NewMatch(of13.InPort(d), of13.VlanVID(h.VID), of13.EthSrc(h.MAC)),
		})
	}
}

// banFlow stops learning on a port or VLAN for learn_ban_timeout: frames
// from unlearned sources are dropped instead of sent to the controller
// (ValveSwitchManager._temp_ban_host_learning).
func (c *compiler) banFlow(owner string, m of13.Match) {
	c.e.add(owner, flowSpec{
		Table: TableEthSrc, Priority: priorityLow + 1,
		Match: m,
		Hard:  clampTimeout(c.dp.LearnBanTimeout),
	})
}
