package qos

import "net/netip"

// The lab's addresses, as the recordings use them.
var (
	phoneA = netip.MustParseAddr("10.254.0.201")
	phoneB = netip.MustParseAddr("10.254.0.202")
	pbxIP  = netip.MustParseAddr("10.254.0.1")
)

func labLocator() fakeLocator {
	return fakeLocator{
		phoneA: {DP: "sw1", DPID: 1, Port: 1, VID: 100},
		phoneB: {DP: "sw1", DPID: 1, Port: 2, VID: 100},
		pbxIP:  {DP: "sw1", DPID: 1, Port: 5, VID: 100},
	}
}
