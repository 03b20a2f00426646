package config

import (
	"regexp"
	"strings"
)

// Input fix-ups and guards applied before the YAML parser sees a file.

// maxFlowDepth bounds flow-collection nesting ([ and {) and "- - -"
// sequences on one line. The YAML parser's time grows steeply with depth
// (100,000 levels took a minute), and no Faucet config needs more than a
// handful of levels.
const maxFlowDepth = 64

// tooDeep finds where nesting first exceeds maxFlowDepth, roughly: it
// skips quoted text and comments but may count brackets in plain scalars.
func tooDeep(data []byte) (line, col int, deep bool) {
	line, col = 1, 0
	depth := 0
	var quote byte
	lineStart := true
	dashes := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		col++
		if c == '\n' {
			line, col, lineStart, dashes = line+1, 0, true, 0
			continue
		}
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
				col++
			} else if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'):
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
			continue
		case c == '[' || c == '{':
			depth++
			if depth > maxFlowDepth {
				return line, col, true
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		case c == '-' && lineStart && (i+1 == len(data) || data[i+1] == ' '):
			dashes++
			if dashes > maxFlowDepth {
				return line, col, true
			}
			continue
		}
		if c != ' ' {
			lineStart = false
		}
	}
	return 0, 0, false
}

// bareTagRE matches a line ending in a tag with no value on that line,
// e.g. "priority: !". PyYAML reads that as an empty tagged scalar when the
// next line is not more indented; the Go parser would attach the tag to
// the following lines, so an explicit empty value is added.
var bareTagRE = regexp.MustCompile(`^( *)(?:- +|[^#'"\n]*?: +)(![^ \n]*) *$`)

func fixBareTags(data []byte) []byte {
	if !strings.Contains(string(data), "!") {
		return data
	}
	lines := strings.Split(string(data), "\n")
	changed := false
	for i, l := range lines {
		m := bareTagRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		indent := len(m[1])
		next := ""
		for _, nl := range lines[i+1:] {
			if strings.TrimSpace(nl) != "" && !strings.HasPrefix(strings.TrimSpace(nl), "#") {
				next = nl
				break
			}
		}
		nextIndent := len(next) - len(strings.TrimLeft(next, " "))
		if next == "" || nextIndent <= indent {
			lines[i] = strings.TrimRight(l, " ") + " ''"
			changed = true
		}
	}
	if !changed {
		return data
	}
	return []byte(strings.Join(lines, "\n"))
}
