package of13

import (
	"net"
	"net/netip"
	"slices"
)

// MatchField is one OXM field with an optional mask. Value and Mask hold
// the field's bytes left-aligned (Field.Size bytes are significant); bits
// outside the mask are kept zero so equal matches compare equal with ==.
type MatchField struct {
	Field  Field
	Masked bool
	Value  [16]byte
	Mask   [16]byte
}

// Match is a set of match fields in canonical order: sorted by field, each
// field at most once. Build one with NewMatch or Match.With; the zero value
// matches every packet.
type Match []MatchField

// NewMatch returns the canonical match of fs. A later field of the same kind
// replaces an earlier one.
func NewMatch(fs ...MatchField) Match {
	if len(fs) == 0 {
		return nil
	}
	// One allocation: canonical fields in order, the last of a kind
	// winning, as With would leave them.
	m := make(Match, 0, len(fs))
	for _, f := range fs {
		f = f.canonical()
		if i := slices.IndexFunc(m, func(g MatchField) bool { return g.Field == f.Field }); i >= 0 {
			m[i] = f
			continue
		}
		m = append(m, f)
	}
	slices.SortFunc(m, func(a, b MatchField) int { return int(a.Field) - int(b.Field) })
	return m
}

// With returns a copy of m with f added or replacing the field of the same
// kind. m itself is not modified, so matches can be shared and extended.
func (m Match) With(f MatchField) Match {
	f = f.canonical()
	i, found := slices.BinarySearchFunc(m, f.Field, func(a MatchField, b Field) int { return int(a.Field) - int(b) })
	out := make(Match, 0, len(m)+1)
	out = append(out, m[:i]...)
	out = append(out, f)
	if found {
		i++
	}
	return append(out, m[i:]...)
}

// Without returns a copy of m without field f.
func (m Match) Without(f Field) Match {
	out := make(Match, 0, len(m))
	for _, mf := range m {
		if mf.Field != f {
			out = append(out, mf)
		}
	}
	return out
}

// Get returns the field f of m, if present.
func (m Match) Get(f Field) (MatchField, bool) {
	for _, mf := range m {
		if mf.Field == f {
			return mf, true
		}
	}
	return MatchField{}, false
}

// Equal reports whether m and o match exactly the same fields and values.
func (m Match) Equal(o Match) bool { return slices.Equal(m, o) }

// canonical clears bits outside the value's width and outside the mask, and
// drops an all-ones mask, which means the same as no mask.
func (f MatchField) canonical() MatchField {
	n := f.Field.Size()
	for i := n; i < 16; i++ {
		f.Value[i], f.Mask[i] = 0, 0
	}
	if !f.Masked {
		f.Mask = [16]byte{}
		return f
	}
	full := true
	for i := 0; i < n; i++ {
		f.Value[i] &= f.Mask[i]
		if f.Mask[i] != 0xff {
			full = false
		}
	}
	if full {
		f.Masked, f.Mask = false, [16]byte{}
	}
	return f
}

// Bytes returns the field's value as sent on the wire.
func (f MatchField) Bytes() []byte { return f.Value[:f.Field.Size()] }

// MaskBytes returns the field's mask as sent on the wire, nil when unmasked.
func (f MatchField) MaskBytes() []byte {
	if !f.Masked {
		return nil
	}
	return f.Mask[:f.Field.Size()]
}

// Uint returns the value of a field of at most 8 bytes as an integer.
func (f MatchField) Uint() uint64 {
	var v uint64
	for _, b := range f.Bytes() {
		v = v<<8 | uint64(b)
	}
	return v
}

// MaskUint returns the mask of a field of at most 8 bytes as an integer, or
// all ones for the field's width when unmasked.
func (f MatchField) MaskUint() uint64 {
	n := f.Field.Size()
	if !f.Masked {
		if n >= 8 {
			return ^uint64(0)
		}
		return 1<<(8*n) - 1
	}
	var v uint64
	for _, b := range f.Mask[:n] {
		v = v<<8 | uint64(b)
	}
	return v
}

// FieldFromBytes builds a match field from wire bytes; mask may be nil.
func FieldFromBytes(f Field, value, mask []byte) MatchField {
	mf := MatchField{Field: f}
	copy(mf.Value[:], value)
	if mask != nil {
		mf.Masked = true
		copy(mf.Mask[:], mask)
	}
	return mf.canonical()
}

// UintField builds a field from an integer value.
func UintField(f Field, v uint64) MatchField {
	mf := MatchField{Field: f}
	putUint(mf.Value[:f.Size()], v)
	return mf
}

// MaskedUintField builds a field from an integer value and mask.
func MaskedUintField(f Field, v, mask uint64) MatchField {
	mf := MatchField{Field: f, Masked: true}
	putUint(mf.Value[:f.Size()], v)
	putUint(mf.Mask[:f.Size()], mask)
	return mf.canonical()
}

func putUint(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

// InPort matches the ingress port.
func InPort(p uint32) MatchField { return UintField(FieldInPort, uint64(p)) }

// Metadata matches the pipeline metadata under mask.
func Metadata(v, mask uint64) MatchField { return MaskedUintField(FieldMetadata, v, mask) }

// EthType matches the Ethernet type.
func EthType(t uint16) MatchField { return UintField(FieldEthType, uint64(t)) }

// VlanVID matches frames tagged with vid.
func VlanVID(vid uint16) MatchField {
	return UintField(FieldVlanVID, uint64(vid&0xfff|OXMVlanPresent))
}

// VlanNone matches untagged frames.
func VlanNone() MatchField { return UintField(FieldVlanVID, 0) }

// VlanAny matches tagged frames, whatever their VID.
func VlanAny() MatchField {
	return MaskedUintField(FieldVlanVID, OXMVlanPresent, OXMVlanPresent)
}

// IPProto matches the IP protocol number.
func IPProto(p uint8) MatchField { return UintField(FieldIPProto, uint64(p)) }

// IPDSCP matches the DSCP bits.
func IPDSCP(d uint8) MatchField { return UintField(FieldIPDSCP, uint64(d)) }

// MACField matches a MAC address field exactly.
func MACField(f Field, mac net.HardwareAddr) MatchField {
	mf := MatchField{Field: f}
	copy(mf.Value[:6], mac)
	return mf
}

// MaskedMACField matches a MAC address field under mask.
func MaskedMACField(f Field, mac, mask net.HardwareAddr) MatchField {
	mf := MatchField{Field: f, Masked: true}
	copy(mf.Value[:6], mac)
	copy(mf.Mask[:6], mask)
	return mf.canonical()
}

// EthDst matches the destination MAC.
func EthDst(mac net.HardwareAddr) MatchField { return MACField(FieldEthDst, mac) }

// EthSrc matches the source MAC.
func EthSrc(mac net.HardwareAddr) MatchField { return MACField(FieldEthSrc, mac) }

// AddrField matches an IPv4 or IPv6 address field exactly.
func AddrField(f Field, a netip.Addr) MatchField {
	mf := MatchField{Field: f}
	b := a.AsSlice()
	copy(mf.Value[:], b)
	return mf
}

// PrefixField matches an IPv4 or IPv6 address field against a prefix. A
// full-length prefix gives an exact match.
func PrefixField(f Field, p netip.Prefix) MatchField {
	p = p.Masked()
	mf := MatchField{Field: f, Masked: true}
	copy(mf.Value[:], p.Addr().AsSlice())
	bits := p.Bits()
	for i := 0; i < f.Size(); i++ {
		switch {
		case bits >= 8:
			mf.Mask[i] = 0xff
			bits -= 8
		case bits > 0:
			mf.Mask[i] = byte(0xff << (8 - bits))
			bits = 0
		}
	}
	return mf.canonical()
}

// Addr returns the value of an address field as a netip.Addr.
func (f MatchField) Addr() netip.Addr {
	switch f.Field.Size() {
	case 4:
		return netip.AddrFrom4([4]byte(f.Value[:4]))
	case 16:
		return netip.AddrFrom16(f.Value)
	}
	return netip.Addr{}
}

// MAC returns the value of a MAC address field.
func (f MatchField) MAC() net.HardwareAddr { return net.HardwareAddr(f.Value[:6:6]) }

// PortField matches a transport port field (tcp/udp/sctp src/dst).
func PortField(f Field, port uint16) MatchField { return UintField(f, uint64(port)) }

// MaskedPortField matches a transport port under mask, as used for ranges.
func MaskedPortField(f Field, port, mask uint16) MatchField {
	return MaskedUintField(f, uint64(port), uint64(mask))
}
