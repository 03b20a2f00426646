package voice

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/controller/dp/callstore"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// Switches gives the QoS engine the datapaths of a dp.Manager: where hosts
// are learned, each datapath's voice table, and a confirmed send path.
type Switches struct {
	M *dp.Manager
}

var (
	_ callstore.Switches = Switches{}
	_ qos.Prober         = Switches{}
	_ qos.Homes          = Switches{}
)

// Locate implements qos.Locator.
func (s Switches) Locate(ip netip.Addr) (qos.Location, bool) {
	l, ok := s.M.LocateIP(ip)
	if !ok {
		return qos.Location{}, false
	}
	return qos.Location{DP: l.DP, DPID: l.DPID, Port: l.Port, VID: l.VID}, true
}

// Homed implements qos.Homes: ip is in the subnet of a VLAN's
// faucet_vips, so it is a host behind one of the controlled ports.
func (s Switches) Homed(ip netip.Addr) bool {
	cfg := s.M.Config()
	if cfg == nil {
		return false
	}
	for _, v := range cfg.VLANs {
		for _, p := range v.FaucetVIPs {
			if p.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// Placement implements qos.Switches: the voice table of a connected
// datapath running a program with one, as the datapath published it when
// its program or connection last changed (dp.Manager.VoicePlacement):
// nothing is computed or waited for per call.
func (s Switches) Placement(dpid uint64) (qos.Placement, bool) {
	return s.M.VoicePlacement(dpid)
}

// Commit implements callstore.Switches: the change goes through the DP's
// group commit. The switch's refusals that mean "no room" become
// qos.ErrMeterTableFull and qos.ErrTableFull, so fallbacks are counted
// under the right reason.
func (s Switches) Commit(dpid uint64, c dp.Change, done func(error)) {
	s.M.Commit(dpid, c, func(err error) {
		if done != nil {
			done(noRoom(err))
		}
	})
}

// noRoom names a refusal for lack of room.
func noRoom(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, &of13.Error{Type: of13.ErrMeterModFailed, Code: codeOutOfMeters}):
		return fmt.Errorf("%w: %w", qos.ErrMeterTableFull, err)
	case errors.Is(err, &of13.Error{Type: of13.ErrFlowModFailed, Code: codeTableFull}):
		return fmt.Errorf("%w: %w", qos.ErrTableFull, err)
	}
	return err
}

// Reconcile implements callstore.Switches.
func (s Switches) Reconcile(ctx context.Context, dpid uint64, st dp.Store) error {
	return s.M.Reconcile(ctx, dpid, st)
}

// Register registers a flow store with the DP manager, which hands it its
// share of each switch at connect; the returned function unregisters it.
func (s Switches) Register(st dp.Store) (unregister func()) { return s.M.Register(st) }

// probeTimeout bounds a probe, so that a datapath that does not answer
// cannot keep its goroutine.
const probeTimeout = 5 * time.Second

// OpenFlow 1.3 error codes (§7.4.4) for a full meter or flow table.
const (
	codeOutOfMeters = 10 // OFPMMFC_OUT_OF_METERS
	codeTableFull   = 1  // OFPFMFC_TABLE_FULL
)

// Probe implements qos.Prober: the datapaths ask who has ip, and the engine
// finds it located on its next retry.
func (s Switches) Probe(ip netip.Addr) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		defer cancel()
		s.M.ProbeIP(ctx, ip)
	}()
}

var _ LinkSwitches = Switches{}

// DPID implements LinkSwitches.
func (s Switches) DPID(name string) (uint64, bool) {
	cfg := s.M.Config()
	if cfg == nil {
		return 0, false
	}
	if d := cfg.DP(name); d != nil {
		return d.ID, true
	}
	return 0, false
}

// MeterMod implements LinkSwitches.
func (s Switches) MeterMod(ctx context.Context, dpid uint64, mm of13.MeterMod) error {
	return s.M.Apply(ctx, dpid, []of13.Message{mm})
}

// ApplyOwner implements LinkSwitches.
func (s Switches) ApplyOwner(ctx context.Context, dpid uint64, owner string, flows []of13.Flow) error {
	return s.M.ApplyOwner(ctx, dpid, owner, flows)
}
