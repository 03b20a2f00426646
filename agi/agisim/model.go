package agisim

import (
	"bytes"
	"strings"
)

// Channel is what the model knows of the channel running AGI.
type Channel struct {
	Uniqueid string
	Linkedid string // default Uniqueid
	// Answered: the channel is Up, so CHANNEL(rtp,dest) and (rtp,src)
	// answer RTPDest and RTPSrc (before answer Asterisk has no RTP
	// session: GET VARIABLE answers result=0, GET FULL VARIABLE "()").
	Answered        bool
	RTPDest, RTPSrc string
	// Vars are channel variables already set (e.g. by the dialplan).
	Vars map[string]string
}

// Scenario is one session.
type Scenario struct {
	// Env is the agi_* block exactly as sent, with its empty line.
	Env []byte
	// EnvWrites splits Env into writes: their lengths in order (the rest
	// goes in a last write). Nil writes one line at a time, as Asterisk
	// does (the recordings show how the reader then sees them).
	EnvWrites []int
	Channel   Channel
	// HangupDuring: the caller hangs up during the first command that
	// starts with this text ("WAIT FOR DIGIT"): it ends with
	// 200 result=-1, then HANGUP.
	HangupDuring string
	// HangupAfterEnv: the caller hangs up as soon as the environment is
	// sent: HANGUP precedes the first answer.
	HangupAfterEnv bool
	// NoSigHup: the dialplan set AGISIGHUP=no: Asterisk writes no HANGUP
	// line at all, neither on hang-up nor at the end.
	NoSigHup bool
}

// Answers res_agi gives, as recorded.
const (
	AnswerUnknown = "510 Invalid or unknown command\n"
	AnswerDead    = "511 Command Not Permitted on a dead channel or intercept routine\n"
	// AnswerGetVariableUsage is GET VARIABLE without its argument.
	AnswerGetVariableUsage = "520-Invalid command syntax.  Proper usage follows:\n" +
		"Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set. Returns <literal>1</literal> if <replaceable>variablename</replaceable> is set and returns the variable in parentheses.\n" +
		"Example return code: 200 result=1 (testvariable)\n" +
		"520 End of proper usage.\n"
	lineHangup = "HANGUP\n"
)

// Model answers commands like Asterisk.
type Model struct {
	sc     Scenario
	vars   map[string]string
	dead   bool
	first  bool
	answer bool
}

// NewModel returns a model at the start of the session.
func NewModel(sc Scenario) *Model {
	m := &Model{sc: sc, vars: map[string]string{}, first: true, answer: sc.Channel.Answered}
	for k, v := range sc.Channel.Vars {
		m.vars[k] = v
	}
	if m.sc.Channel.Linkedid == "" {
		m.sc.Channel.Linkedid = m.sc.Channel.Uniqueid
	}
	return m
}

// Var returns a channel variable as the session left it.
func (m *Model) Var(name string) (string, bool) {
	v, ok := m.vars[name]
	return v, ok
}

// Dead reports whether the caller has hung up.
func (m *Model) Dead() bool { return m.dead }

// EnvWrites returns the environment cut into the writes Asterisk makes.
func (m *Model) EnvWrites() [][]byte {
	env := m.sc.Env
	var out [][]byte
	if m.sc.EnvWrites == nil {
		for len(env) > 0 {
			i := bytes.IndexByte(env, '\n') + 1
			if i == 0 {
				i = len(env)
			}
			out, env = append(out, env[:i]), env[i:]
		}
		return out
	}
	for _, n := range m.sc.EnvWrites {
		n = min(n, len(env))
		out, env = append(out, env[:n]), env[n:]
	}
	if len(env) > 0 {
		out = append(out, env)
	}
	return out
}

func (m *Model) hangupLine() string {
	if m.sc.NoSigHup {
		return ""
	}
	return lineHangup
}

// Answer returns every byte Asterisk writes in answer to one command line
// (without its line end).
func (m *Model) Answer(cmd string) string {
	pre := ""
	if m.first && m.sc.HangupAfterEnv {
		m.dead, pre = true, m.hangupLine()
	}
	m.first = false
	if m.sc.HangupDuring != "" && !m.dead && strings.HasPrefix(cmd, m.sc.HangupDuring) {
		m.dead = true
		return pre + "200 result=-1\n" + m.hangupLine()
	}
	return pre + m.answerCmd(cmd)
}

// Closed returns what Asterisk writes when the server has closed its side
// (then it closes too): HANGUP, unless AGISIGHUP=no.
func (m *Model) Closed() string { return m.hangupLine() }

func (m *Model) answerCmd(cmd string) string {
	words := strings.Fields(cmd)
	upper := strings.ToUpper(cmd)
	switch {
	case strings.HasPrefix(upper, "GET FULL VARIABLE"):
		if len(words) < 4 {
			return "520-Invalid command syntax.  Proper usage follows:\n520 End of proper usage.\n"
		}
		return "200 result=1 (" + m.expand(words[3]) + ")\n"
	case strings.HasPrefix(upper, "GET VARIABLE"):
		if len(words) < 3 {
			return AnswerGetVariableUsage
		}
		if v, ok := m.value(words[2]); ok {
			return "200 result=1 (" + v + ")\n"
		}
		return "200 result=0\n"
	case strings.HasPrefix(upper, "SET VARIABLE"):
		if len(words) < 4 {
			return "520-Invalid command syntax.  Proper usage follows:\n520 End of proper usage.\n"
		}
		m.vars[words[2]] = strings.Trim(strings.Join(words[3:], " "), `"`)
		return "200 result=1\n"
	case strings.HasPrefix(upper, "VERBOSE"):
		return "200 result=1\n"
	case upper == "ANSWER":
		if m.dead {
			return AnswerDead
		}
		m.answer = true
		return "200 result=0\n"
	case strings.HasPrefix(upper, "WAIT FOR DIGIT"):
		if m.dead {
			return AnswerDead
		}
		return "200 result=0\n" // timeout, no digit
	case upper == "HANGUP":
		m.dead = true
		return "200 result=1\n"
	}
	return AnswerUnknown
}

// value is a variable or function as GET VARIABLE reads it; ok false when
// unset (or, for CHANNEL(rtp,...), unavailable before answer).
func (m *Model) value(name string) (string, bool) {
	ch := m.sc.Channel
	switch name {
	case "CHANNEL(rtp,dest)":
		return ch.RTPDest, m.answer && ch.RTPDest != ""
	case "CHANNEL(rtp,src)":
		return ch.RTPSrc, m.answer && ch.RTPSrc != ""
	case "CHANNEL(uniqueid)", "UNIQUEID":
		return ch.Uniqueid, true
	case "CHANNEL(linkedid)":
		return ch.Linkedid, true
	case "CHANNEL(name)", "CHANNEL":
		return "", false
	}
	v, ok := m.vars[name]
	return v, ok
}

// expand evaluates a GET FULL VARIABLE expression: ${NAME} parts are
// replaced by their value ("" when unset), the rest kept.
func (m *Model) expand(expr string) string {
	var b strings.Builder
	for {
		i := strings.Index(expr, "${")
		if i < 0 {
			b.WriteString(expr)
			return b.String()
		}
		j := strings.IndexByte(expr[i:], '}')
		if j < 0 {
			b.WriteString(expr)
			return b.String()
		}
		b.WriteString(expr[:i])
		v, _ := m.value(expr[i+2 : i+j])
		b.WriteString(v)
		expr = expr[i+j+1:]
	}
}

// EnvOf returns the environment block at the start of a recording of what
// Asterisk sent (up to and including its empty line), or nil.
func EnvOf(fromAsterisk []byte) []byte {
	i := bytes.Index(fromAsterisk, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	return fromAsterisk[:i+2]
}
