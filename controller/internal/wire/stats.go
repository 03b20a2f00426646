package wire

import (
	"bytes"
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// DecodeFlowStats decodes the concatenated bodies of a flow-stats reply
// into flows as installed (see the package doc on canonical forms).
func DecodeFlowStats(body []byte) ([]of13.FlowStats, error) {
	var out []of13.FlowStats
	c := cursor{b: body}
	for c.left() > 0 {
		start := c.off
		l := int(c.u16())
		if c.err == nil && l < 56 {
			return nil, fmt.Errorf("flow stats entry %d: length %d", len(out), l)
		}
		c.off = start
		e := c.sub(l)
		if c.err != nil {
			return nil, fmt.Errorf("flow stats entry %d: %w", len(out), c.err)
		}
		fs, err := decodeFlowStatsEntry(&e)
		if err != nil {
			return nil, fmt.Errorf("flow stats entry %d: %w", len(out), err)
		}
		out = append(out, fs)
	}
	return out, nil
}

func decodeFlowStatsEntry(c *cursor) (of13.FlowStats, error) {
	var fs of13.FlowStats
	c.skip(2)
	fs.Table = c.u8()
	c.skip(1)
	fs.DurationSec, fs.DurationNsec = c.u32(), c.u32()
	fs.Priority, fs.IdleTimeout, fs.HardTimeout, fs.Flags = c.u16(), c.u16(), c.u16(), c.u16()
	c.skip(4)
	fs.Cookie, fs.PacketCount, fs.ByteCount = c.u64(), c.u64(), c.u64()
	m, err := decodeMatch(c)
	if err != nil {
		return fs, err
	}
	fs.Match = m
	inst := c.sub(c.left())
	fs.Instr, err = decodeInstructions(&inst)
	return fs, err
}

// DecodePortStats decodes a port-stats reply body.
func DecodePortStats(body []byte) ([]of13.PortStats, error) {
	if len(body)%112 != 0 {
		return nil, fmt.Errorf("port stats: length %d is not a multiple of 112", len(body))
	}
	c := cursor{b: body}
	out := make([]of13.PortStats, 0, len(body)/112)
	for c.left() > 0 {
		var s of13.PortStats
		s.PortNo = c.u32()
		c.skip(4)
		s.RxPackets, s.TxPackets, s.RxBytes, s.TxBytes = c.u64(), c.u64(), c.u64(), c.u64()
		s.RxDropped, s.TxDropped, s.RxErrors, s.TxErrors = c.u64(), c.u64(), c.u64(), c.u64()
		s.RxFrameErr, s.RxOverErr, s.RxCRCErr, s.Collisions = c.u64(), c.u64(), c.u64(), c.u64()
		s.DurationSec, s.DurationNsec = c.u32(), c.u32()
		out = append(out, s)
	}
	return out, nil
}

// DecodeTableStats decodes a table-stats reply body.
func DecodeTableStats(body []byte) ([]of13.TableStats, error) {
	if len(body)%24 != 0 {
		return nil, fmt.Errorf("table stats: length %d is not a multiple of 24", len(body))
	}
	c := cursor{b: body}
	out := make([]of13.TableStats, 0, len(body)/24)
	for c.left() > 0 {
		s := of13.TableStats{Table: c.u8()}
		c.skip(3)
		s.ActiveCount, s.LookupCount, s.MatchedCount = c.u32(), c.u64(), c.u64()
		out = append(out, s)
	}
	return out, nil
}

// DecodeMeterConfig decodes a meter-config reply body. netrack's
// MeterBands.ReadFrom has a value receiver and loses every band, so the
// bands are decoded here.
func DecodeMeterConfig(body []byte) ([]of13.Meter, error) {
	var out []of13.Meter
	c := cursor{b: body}
	for c.left() > 0 {
		l := int(c.u16())
		if c.err == nil && (l < 8 || (l-8)%16 != 0) {
			return nil, fmt.Errorf("meter config %d: length %d", len(out), l)
		}
		m := of13.Meter{Flags: c.u16(), ID: c.u32()}
		bands := c.sub(l - 8)
		if c.err != nil {
			return nil, fmt.Errorf("meter config %d: %w", len(out), c.err)
		}
		for bands.left() > 0 {
			typ := bands.u16()
			if bl := bands.u16(); bl != 16 {
				return nil, fmt.Errorf("meter %d band: length %d", m.ID, bl)
			}
			band := of13.MeterBand{Type: of13.MeterBandType(typ), Rate: bands.u32(), BurstSize: bands.u32()}
			if band.Type == of13.BandDSCPRemark {
				band.PrecLevel = bands.u8()
			}
			bands.skip(4 - 1*b2i(band.Type == of13.BandDSCPRemark))
			if m.Flags&of13.MeterBurst == 0 {
				// Without OFPMF_BURST the burst size is unused; Open
				// vSwitch reports the rate there.
				band.BurstSize = 0
			}
			m.Bands = append(m.Bands, band)
		}
		out = append(out, m)
	}
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// DecodeMeterStats decodes a meter-stats reply body.
func DecodeMeterStats(body []byte) ([]of13.MeterCounters, error) {
	var out []of13.MeterCounters
	c := cursor{b: body}
	for c.left() > 0 {
		s := of13.MeterCounters{ID: c.u32()}
		l := int(c.u16())
		if c.err == nil && (l < 40 || (l-40)%16 != 0) {
			return nil, fmt.Errorf("meter stats %d: length %d", len(out), l)
		}
		c.skip(6)
		s.FlowCount, s.PacketInCount, s.ByteInCount = c.u32(), c.u64(), c.u64()
		s.DurationSec, s.DurationNsec = c.u32(), c.u32()
		bands := c.sub(l - 40)
		if c.err != nil {
			return nil, fmt.Errorf("meter stats %d: %w", len(out), c.err)
		}
		for bands.left() > 0 {
			s.Bands = append(s.Bands, of13.MeterBandStats{PacketCount: bands.u64(), ByteCount: bands.u64()})
		}
		out = append(out, s)
	}
	return out, nil
}

// DecodeGroupDesc decodes a group-desc reply body.
func DecodeGroupDesc(body []byte) ([]of13.Group, error) {
	var out []of13.Group
	c := cursor{b: body}
	for c.left() > 0 {
		l := int(c.u16())
		if c.err == nil && l < 8 {
			return nil, fmt.Errorf("group desc %d: length %d", len(out), l)
		}
		g := of13.Group{Type: of13.GroupType(c.u8())}
		c.skip(1)
		g.ID = c.u32()
		buckets := c.sub(l - 8)
		if c.err != nil {
			return nil, fmt.Errorf("group desc %d: %w", len(out), c.err)
		}
		for buckets.left() > 0 {
			bl := int(buckets.u16())
			if buckets.err == nil && bl < 16 {
				return nil, fmt.Errorf("group %d bucket: length %d", g.ID, bl)
			}
			bk := of13.Bucket{Weight: buckets.u16(), WatchPort: buckets.u32(), WatchGroup: buckets.u32()}
			buckets.skip(4)
			acts := buckets.sub(bl - 16)
			if buckets.err != nil {
				return nil, fmt.Errorf("group %d bucket: %w", g.ID, buckets.err)
			}
			as, err := decodeActions(&acts)
			if err != nil {
				return nil, fmt.Errorf("group %d bucket: %w", g.ID, err)
			}
			bk.Actions = as
			// OFPP_ANY / OFPG_ANY mean "no watch"; the model uses zero.
			if bk.WatchPort == portAny {
				bk.WatchPort = 0
			}
			if bk.WatchGroup == groupAny {
				bk.WatchGroup = 0
			}
			g.Buckets = append(g.Buckets, bk)
		}
		out = append(out, g)
	}
	return out, nil
}

// DecodeDesc decodes a desc reply body.
func DecodeDesc(body []byte) (of13.Desc, error) {
	c := cursor{b: body}
	str := func(n int) string {
		b := c.bytes(n)
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	d := of13.Desc{Manufacturer: str(256), Hardware: str(256), Software: str(256), SerialNum: str(32), DPDesc: str(256)}
	if c.err != nil {
		return d, fmt.Errorf("desc reply: %w", c.err)
	}
	return d, nil
}
