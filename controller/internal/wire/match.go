package wire

import (
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

const (
	matchTypeOXM  = 1
	oxmClassBasic = 0x8000
)

// AppendMatch appends m as an ofp_match (OXM, padded to 8 bytes).
func AppendMatch(b []byte, m of13.Match) []byte {
	start := len(b)
	b = append(b, 0, matchTypeOXM, 0, 0)
	for i := range m {
		b = appendOXM(b, &m[i])
	}
	l := len(b) - start
	b[start+2], b[start+3] = byte(l>>8), byte(l)
	return pad8(b, start)
}

func appendOXM(b []byte, f *of13.MatchField) []byte {
	n := f.Field.Size()
	hm, l := byte(0), n
	if f.Masked {
		hm, l = 1, 2*n
	}
	b = append(b, oxmClassBasic>>8, oxmClassBasic&0xff, byte(f.Field)<<1|hm, byte(l))
	b = append(b, f.Value[:n]...)
	if f.Masked {
		b = append(b, f.Mask[:n]...)
	}
	return b
}

// decodeMatch reads an ofp_match including its padding.
func decodeMatch(c *cursor) (of13.Match, error) {
	typ, l := c.u16(), int(c.u16())
	if c.err != nil {
		return nil, fmt.Errorf("match header: %w", c.err)
	}
	if typ != matchTypeOXM {
		return nil, fmt.Errorf("match type %d is not OXM", typ)
	}
	if l < 4 {
		return nil, fmt.Errorf("match length %d", l)
	}
	body := c.sub(l - 4)
	c.skip((8 - l%8) % 8)
	if c.err != nil {
		return nil, fmt.Errorf("match of length %d: %w", l, c.err)
	}
	var fields of13.Match
	sorted := true
	for body.left() > 0 {
		f, ok, err := decodeOXM(&body)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if fields == nil {
			fields = make(of13.Match, 0, body.left()/8+1)
		}
		if n := len(fields); n > 0 && fields[n-1].Field >= f.Field {
			sorted = false
		}
		fields = append(fields, f)
	}
	if !sorted {
		// Switches may order fields as they like; of13 wants them sorted
		// and unique. Each field is already canonical (FieldFromBytes).
		return of13.NewMatch(fields...), nil
	}
	return fields, nil
}

// decodeOXM reads one OXM TLV. Fields of other classes and unknown basic
// fields are skipped (ok false): voipsdn never installs them.
func decodeOXM(c *cursor) (of13.MatchField, bool, error) {
	class, fh, l := c.u16(), c.u8(), int(c.u8())
	payload := c.bytes(l)
	if c.err != nil {
		return of13.MatchField{}, false, fmt.Errorf("oxm: %w", c.err)
	}
	field, masked := of13.Field(fh>>1), fh&1 == 1
	if class != oxmClassBasic || field.Size() == 0 {
		return of13.MatchField{}, false, nil
	}
	n := field.Size()
	if masked && l != 2*n || !masked && l != n {
		return of13.MatchField{}, false, fmt.Errorf("oxm %s: length %d, want %d", field, l, n)
	}
	var mask []byte
	if masked {
		mask = payload[n:]
	}
	return of13.FieldFromBytes(field, payload[:n], mask), true, nil
}
