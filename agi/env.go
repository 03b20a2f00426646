package agi

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
)

// Limits on what a peer may send. Asterisk's environment is 22 lines
// plus one per AGI() argument; its longest line is agi_request.
const (
	MaxLine     = 8 << 10
	MaxEnvVars  = 256
	MaxReplyLen = 64 // lines of one (multi-line) reply
)

// Protocol errors.
var (
	ErrLineTooLong = errors.New("agi: line too long")
	ErrTooManyVars = errors.New("agi: too many environment variables")
	ErrBadEnvLine  = errors.New("agi: environment line is not name: value")
	ErrBadReply    = errors.New("agi: reply is not a status line")
)

// Var is one agi_* environment variable.
type Var struct{ Name, Value string }

// Env is the agi_* environment Asterisk sends at the start of a session,
// in order.
type Env []Var

// Get returns the value of the first variable named name.
func (e Env) Get(name string) string {
	for _, v := range e {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}

// Args returns agi_arg_1, agi_arg_2, ... in order, up to the first gap.
func (e Env) Args() []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := e.lookup(fmt.Sprintf("agi_arg_%d", i))
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

func (e Env) lookup(name string) (string, bool) {
	for _, v := range e {
		if v.Name == name {
			return v.Value, true
		}
	}
	return "", false
}

// readLine returns one LF-terminated line without its line end (CR LF
// accepted), bounded by the reader's buffer.
func readLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(b) > MaxLine {
		return "", ErrLineTooLong
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
}

// NewReader returns a reader whose buffer bounds a line to MaxLine.
func NewReader(r interface{ Read([]byte) (int, error) }) *bufio.Reader {
	return bufio.NewReaderSize(r, MaxLine)
}

// ReadEnv reads the environment block up to its empty line. A HANGUP line
// (Asterisk sends it when the channel hangs up, even this early) is
// skipped and reported. r should come from NewReader.
func ReadEnv(r *bufio.Reader) (env Env, hangup bool, err error) {
	for {
		line, err := readLine(r)
		if err != nil {
			return env, hangup, err
		}
		if line == "" {
			return env, hangup, nil
		}
		if line == "HANGUP" {
			hangup = true
			continue
		}
		v, err := parseEnvLine(line)
		if err != nil {
			return env, hangup, err
		}
		if len(env) == MaxEnvVars {
			return env, hangup, ErrTooManyVars
		}
		env = append(env, v)
	}
}

// parseEnvLine splits "agi_name: value". Asterisk writes "name: " with
// the space even for an empty value (agi_accountcode); "name:" is accepted
// too.
func parseEnvLine(line string) (Var, error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return Var{}, ErrBadEnvLine
	}
	return Var{Name: name, Value: strings.TrimPrefix(value, " ")}, nil
}

// ParseEnv parses an environment given as one string (AsyncAGIStart's
// Env header, once URL-decoded): lines up to an empty line or the end.
func ParseEnv(s string) (Env, error) {
	var env Env
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		if len(line) > MaxLine {
			return env, ErrLineTooLong
		}
		v, err := parseEnvLine(line)
		if err != nil {
			return env, err
		}
		if len(env) == MaxEnvVars {
			return env, ErrTooManyVars
		}
		env = append(env, v)
	}
	return env, nil
}
