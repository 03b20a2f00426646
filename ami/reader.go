package ami

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxMessageBytes bounds one message. A "core show channels" Command
// on a busy server is a few hundred kilobytes; anything past this is a
// broken or hostile peer.
const DefaultMaxMessageBytes = 4 << 20

// ErrMessageTooLarge is returned when a message exceeds the reader's
// bound. The stream is then mid-message, so the connection must be closed.
var ErrMessageTooLarge = errors.New("ami: message too large")

// endCommand ends the body of a legacy "Response: Follows" reply.
const endCommand = "--END COMMAND--"

// span locates one field inside the message buffer. When key is set it
// is used instead of buf[ks:ke] (for synthesised Output keys).
type span struct {
	key            string
	ks, ke, vs, ve int
}

// Reader parses AMI messages from a byte stream. The zero value is not
// usable; call NewReader. A Reader is not safe for concurrent use.
//
// Parsing copies each message once into a reused buffer, converts it to
// one string and slices keys and values out of it: two allocations per
// message whatever its field count.
type Reader struct {
	br  *bufio.Reader
	max int
	// slowOnly disables the fast path (differential tests).
	slowOnly bool
	buf      []byte
	spans    []span
	// Garbage counts lines that were neither headers, blank lines nor a
	// greeting and were skipped.
	Garbage uint64
	// Bytes counts the bytes consumed.
	Bytes uint64
}

// NewReader returns a Reader over r. max bounds one message in bytes;
// max <= 0 means DefaultMaxMessageBytes.
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxMessageBytes
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 4096 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Reader{br: br, max: max, buf: make([]byte, 0, 4096)}
}

// readLine returns the next line without its line ending (CRLF or LF).
// The slice is only valid until the next call. Long lines are assembled in
// scratch, bounded by the reader's max minus what the message already
// holds.
func (r *Reader) readLine(used int) ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	r.Bytes += uint64(len(line))
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if used+len(long) > r.max {
				return nil, ErrMessageTooLarge
			}
			line, err = r.br.ReadSlice('\n')
			r.Bytes += uint64(len(line))
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if used+len(line) > r.max {
		return nil, ErrMessageTooLarge
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// ReadMessage returns the next message. A greeting line ("Asterisk Call
// Manager/...") at a message boundary is returned as its own message of
// KindGreeting. Lines without a colon are skipped and counted in Garbage.
// At a clean end of stream it returns io.EOF; a stream cut inside a
// message gives io.ErrUnexpectedEOF.
func (r *Reader) ReadMessage() (Message, error) {
	for {
		if r.slowOnly {
			return r.slow()
		}
		m, ok := r.fast()
		if !ok {
			return r.slow()
		}
		if len(m.Fields) > 0 {
			return m, nil
		}
		// Only garbage lines before a blank line: skipped, as slow does.
	}
}

// fast parses a message that already sits whole in the bufio buffer:
// one scan for the line ends, one string conversion, fields sliced out of
// it. Anything unusual (greeting, Follows, leading blank line, a message
// longer than the buffer) is left to slow.
func (r *Reader) fast() (Message, bool) {
	data, _ := r.br.Peek(r.br.Buffered())
	if len(data) < 2 || data[0] == '\r' || data[0] == '\n' || data[0] == 'A' && bytes.HasPrefix(data, []byte(greetingPrefix)) ||
		data[0] == 'R' && bytes.HasPrefix(data, []byte("Response: Follows")) {
		return Message{}, false
	}
	lines, end, next := 0, -1, 0
	for pos := 0; ; {
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 {
			return Message{}, false
		}
		nl := pos + i
		lines++
		if nl+1 < len(data) && data[nl+1] == '\n' {
			end, next = nl, nl+2
			break
		}
		if nl+2 < len(data) && data[nl+1] == '\r' && data[nl+2] == '\n' {
			end, next = nl, nl+3
			break
		}
		if nl+2 >= len(data) {
			return Message{}, false // the terminator may be split
		}
		pos = nl + 1
	}
	if next > r.max {
		return Message{}, false
	}
	s := string(data[:end])
	r.Bytes += uint64(next)
	_, _ = r.br.Discard(next)
	fields := make([]Field, 0, lines)
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			r.Garbage++
			continue
		}
		v := line[colon+1:]
		if len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
		fields = append(fields, Field{Key: line[:colon], Value: v})
	}
	return Message{Fields: fields}, true
}

func (r *Reader) slow() (Message, error) {
	if cap(r.buf) > 1<<20 {
		r.buf = make([]byte, 0, 4096) // do not keep a huge message's buffer
	}
	r.buf = r.buf[:0]
	r.spans = r.spans[:0]
	follows := false
	inOutput := false
	for {
		line, err := r.readLine(len(r.buf))
		if err != nil {
			if err == io.EOF && len(r.spans) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return Message{}, err
		}
		if follows {
			done, err := r.followsLine(line, &inOutput)
			if err != nil {
				return Message{}, err
			}
			if !done {
				continue
			}
			follows = false
			continue
		}
		if len(line) == 0 {
			if len(r.spans) == 0 {
				continue // stray blank lines between messages
			}
			return r.build(), nil
		}
		if len(r.spans) == 0 && bytes.HasPrefix(line, []byte(greetingPrefix)) {
			r.appendRaw("", line)
			return r.build(), nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			r.Garbage++
			continue
		}
		r.appendField(line, colon)
		if len(r.spans) == 1 && r.isFollows() {
			follows = true
		}
	}
}

// appendField stores "Key: Value" (one optional space after the colon is
// the separator; further spaces belong to the value).
func (r *Reader) appendField(line []byte, colon int) {
	base := len(r.buf)
	r.buf = append(r.buf, line...)
	vs := colon + 1
	if vs < len(line) && line[vs] == ' ' {
		vs++
	}
	r.spans = append(r.spans, span{ks: base, ke: base + colon, vs: base + vs, ve: base + len(line)})
}

// appendRaw stores a whole line as the value of key.
func (r *Reader) appendRaw(key string, line []byte) {
	base := len(r.buf)
	r.buf = append(r.buf, line...)
	r.spans = append(r.spans, span{key: key, ks: base, ke: base, vs: base, ve: base + len(line)})
	if key == "" {
		// A greeting has an empty key: mark it so build keeps it empty.
		r.spans[len(r.spans)-1].key = "\x00"
	}
}

func (r *Reader) isFollows() bool {
	s := r.spans[0]
	return string(r.buf[s.ks:s.ke]) == "Response" && string(r.buf[s.vs:s.ve]) == "Follows"
}

// followsLine handles one line of a legacy "Response: Follows" body, in
// which command output is raw text ended by "--END COMMAND--". Header
// lines before the output stay headers; every other line becomes an
// Output field, which is how Asterisk 14+ sends the same data. It reports
// whether the body ended.
func (r *Reader) followsLine(line []byte, inOutput *bool) (bool, error) {
	if i := bytes.Index(line, []byte(endCommand)); i >= 0 {
		if text := bytes.TrimRight(line[:i], "\r\n"); len(text) > 0 {
			for _, l := range bytes.Split(text, []byte("\n")) {
				r.appendRaw("Output", l)
			}
		}
		return true, nil
	}
	if !*inOutput {
		if colon := bytes.IndexByte(line, ':'); colon > 0 {
			switch string(line[:colon]) {
			case "Privilege", "ActionID", "Message":
				r.appendField(line, colon)
				return false, nil
			}
		}
		*inOutput = true
	}
	r.appendRaw("Output", line)
	return false, nil
}

// build turns the buffered spans into a Message backed by one string.
func (r *Reader) build() Message {
	s := string(r.buf)
	fields := make([]Field, len(r.spans))
	for i, sp := range r.spans {
		switch sp.key {
		case "":
			fields[i].Key = s[sp.ks:sp.ke]
		case "\x00":
			fields[i].Key = ""
		default:
			fields[i].Key = sp.key
		}
		fields[i].Value = s[sp.vs:sp.ve]
	}
	return Message{Fields: fields}
}

// ReadAll parses every message of a finished stream, for replays and
// tests. It stops at the first error other than a clean io.EOF.
func ReadAll(rd io.Reader, max int) ([]Message, error) {
	r := NewReader(rd, max)
	var out []Message
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("message %d: %w", len(out)+1, err)
		}
		out = append(out, m)
	}
}
