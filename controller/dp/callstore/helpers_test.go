package callstore

import (
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/qos"
)

type fakeLocator map[netip.Addr]qos.Location

func (f fakeLocator) Locate(ip netip.Addr) (qos.Location, bool) { l, ok := f[ip]; return l, ok }

func testPolicy(mode string) *config.QoS {
	q := uint32(5)
	return &config.QoS{
		VoiceDSCP: 46, SignallingDSCP: 24, SIPPorts: []uint16{5060},
		Queue: &q, RTPPortRange: [2]uint16{10000, 10999},
		CodecKbps: map[string]float64{"ulaw": 87.2, "g729": 31.2}, DefaultKbps: 87.2,
		HeadroomPercent: 10, Pinhole: mode, IdleTimeout: 60 * time.Second, MaxCalls: 100,
		PBXAddresses: []netip.Addr{netip.MustParseAddr("10.254.0.1")},
	}
}
