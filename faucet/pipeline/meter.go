package pipeline

import (
	"fmt"
	"strings"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// meterByName finds a meter among the DP's meters.
func (c *compiler) meterByName(name string) *config.Meter {
	for _, m := range c.dp.Meters {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// meterOf converts a configured meter (meters: name: meter_id, entry:
// flags, bands) to an OpenFlow meter.
func meterOf(m *config.Meter) (of13.Meter, error) {
	out := of13.Meter{ID: m.MeterID}
	for _, f := range m.Entry.Flags {
		switch strings.ToUpper(f) {
		case "KBPS":
			out.Flags |= of13.MeterKbps
		case "PKTPS":
			out.Flags |= of13.MeterPktps
		case "BURST":
			out.Flags |= of13.MeterBurst
		case "STATS":
			out.Flags |= of13.MeterStats
		default:
			return of13.Meter{}, fmt.Errorf("meter %s: unknown flag %q", m.Name, f)
		}
	}
	for _, b := range m.Entry.Bands {
		band := of13.MeterBand{Rate: b.Rate, BurstSize: b.BurstSize, PrecLevel: b.PrecLevel}
		switch strings.ToUpper(b.Type) {
		case "DROP":
			band.Type = of13.BandDrop
		case "DSCP_REMARK":
			band.Type = of13.BandDSCPRemark
		default:
			return of13.Meter{}, fmt.Errorf("meter %s: unknown band type %q", m.Name, b.Type)
		}
		out.Bands = append(out.Bands, band)
	}
	return out, nil
}
