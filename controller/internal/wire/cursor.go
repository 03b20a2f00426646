package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrTruncated reports a structure that claims more bytes than present.
var ErrTruncated = errors.New("truncated")

// cursor reads big-endian values from a bounded byte slice. Reads past the
// end set err and return zeros, so decoders check err once per structure.
type cursor struct {
	b   []byte
	off int
	err error
}

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || c.off+n > len(c.b) {
		c.err = fmt.Errorf("need %d bytes at offset %d of %d: %w", n, c.off, len(c.b), ErrTruncated)
		return false
	}
	return true
}

func (c *cursor) u8() uint8 {
	if !c.need(1) {
		return 0
	}
	c.off++
	return c.b[c.off-1]
}

func (c *cursor) u16() uint16 {
	if !c.need(2) {
		return 0
	}
	c.off += 2
	return binary.BigEndian.Uint16(c.b[c.off-2:])
}

func (c *cursor) u32() uint32 {
	if !c.need(4) {
		return 0
	}
	c.off += 4
	return binary.BigEndian.Uint32(c.b[c.off-4:])
}

func (c *cursor) u64() uint64 {
	if !c.need(8) {
		return 0
	}
	c.off += 8
	return binary.BigEndian.Uint64(c.b[c.off-8:])
}

func (c *cursor) skip(n int) {
	if c.need(n) {
		c.off += n
	}
}

// bytes returns the next n bytes, aliasing the input.
func (c *cursor) bytes(n int) []byte {
	if !c.need(n) {
		return nil
	}
	c.off += n
	return c.b[c.off-n : c.off]
}

func (c *cursor) rest() []byte {
	if c.err != nil {
		return nil
	}
	r := c.b[c.off:]
	c.off = len(c.b)
	return r
}

func (c *cursor) left() int { return len(c.b) - c.off }

// sub returns a cursor on the next n bytes and advances past them.
func (c *cursor) sub(n int) cursor {
	return cursor{b: c.bytes(n), err: c.err}
}
