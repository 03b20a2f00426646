package agi

import (
	"bufio"
	"strconv"
	"strings"
)

// Reply is Asterisk's answer to one AGI command.
type Reply struct {
	// Code is the status: 200 success, 510 unknown command, 511 not
	// permitted on a dead channel, 520 usage (a multi-line answer).
	Code int
	// Result is the result= value of a 200 answer (-1 when the channel
	// hung up during the command); Data the text in parentheses after it,
	// and HasData whether there were parentheses (GET VARIABLE answers
	// "result=0" for an unset variable and "result=1 ()" for an empty
	// one).
	Result  int
	Data    string
	HasData bool
	// Text is the rest of the status line (and, for a multi-line answer,
	// the lines that followed it).
	Text string
}

// OK reports a 200 answer whose result is not -1.
func (r Reply) OK() bool { return r.Code == 200 && r.Result != -1 }

// ReadReply reads one answer. HANGUP lines before it (Asterisk writes one
// when the channel hangs up, also between a command and its answer) are
// skipped and reported. A multi-line answer ("520-..." up to "520 ...")
// is read to its end.
func ReadReply(r *bufio.Reader) (rep Reply, hangup bool, err error) {
	for {
		line, err := readLine(r)
		if err != nil {
			return rep, hangup, err
		}
		if line == "HANGUP" {
			hangup = true
			continue
		}
		rep, err = parseStatus(line)
		if err != nil {
			return rep, hangup, err
		}
		if len(line) > 3 && line[3] == '-' {
			rep, err = readContinuation(r, rep)
		}
		return rep, hangup, err
	}
}

func readContinuation(r *bufio.Reader, rep Reply) (Reply, error) {
	end := strconv.Itoa(rep.Code) + " "
	var b strings.Builder
	b.WriteString(rep.Text)
	for range MaxReplyLen {
		line, err := readLine(r)
		if err != nil {
			return rep, err
		}
		b.WriteByte('\n')
		if strings.HasPrefix(line, end) {
			b.WriteString(line[4:])
			rep.Text = b.String()
			return rep, nil
		}
		b.WriteString(line)
	}
	return rep, ErrBadReply
}

// parseStatus parses "NNN text", "NNN-text" or "200 result=R (data) ...".
func parseStatus(line string) (Reply, error) {
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
		return Reply{}, ErrBadReply
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || code < 100 || code > 999 {
		return Reply{}, ErrBadReply
	}
	rep := Reply{Code: code}
	if len(line) > 4 {
		rep.Text = line[4:]
	}
	if code != 200 || (len(line) > 3 && line[3] == '-') {
		return rep, nil
	}
	rest, ok := strings.CutPrefix(rep.Text, "result=")
	if !ok {
		return rep, ErrBadReply
	}
	num, tail, _ := strings.Cut(rest, " ")
	if rep.Result, err = strconv.Atoi(num); err != nil {
		return rep, ErrBadReply
	}
	if strings.HasPrefix(tail, "(") {
		if i := strings.LastIndexByte(tail, ')'); i > 0 {
			rep.Data, rep.HasData = tail[1:i], true
		}
	}
	return rep, nil
}
