package dashboards

import (
	"regexp"
	"strings"
)

// selector is one metric selector found in a query.
type selector struct {
	metric string
	labels []string // label names in its matchers
}

// query is what the coverage test needs from a PromQL expression.
type query struct {
	selectors []selector
	grouping  []string // labels in by (...), without (...), on (...), ignoring (...)
}

var promqlKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true, "atan2": true,
}

// aggregators may be followed by by/without before their parenthesis.
var aggregators = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true,
}

var grafanaLabelValues = regexp.MustCompile(`^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)
var grafanaQueryResult = regexp.MustCompile(`^\s*query_result\((.*)\)\s*$`)

// parseQuery reads metric names, matcher labels and grouping labels from a
// PromQL expression, roughly: it does not build a syntax tree, but it skips
// strings, range and subquery brackets, function names and keywords, which
// is enough for dashboard queries. It also understands Grafana's template
// queries label_values(metric, label) and query_result(expr).
func parseQuery(s string) query {
	if m := grafanaLabelValues.FindStringSubmatch(s); m != nil {
		return query{selectors: []selector{{metric: m[1], labels: []string{m[2]}}}}
	}
	if m := grafanaQueryResult.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	var q query
	i := 0
	skipSpace := func() {
		for i < len(s) && strings.ContainsRune(" \t\r\n", rune(s[i])) {
			i++
		}
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(s, i)
		case c == '[':
			if j := strings.IndexByte(s[i:], ']'); j >= 0 {
				i += j + 1
			} else {
				i = len(s)
			}
		case c == '{':
			// A selector without a metric name: labels only, no metric.
			_, i = parseMatchers(s, i)
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			word := s[i:j]
			i = j
			skipSpace()
			lower := strings.ToLower(word)
			switch {
			case lower == "by" || lower == "without" || lower == "on" || lower == "ignoring" ||
				lower == "group_left" || lower == "group_right":
				if i < len(s) && s[i] == '(' {
					end := strings.IndexByte(s[i:], ')')
					if end < 0 {
						end = len(s) - i - 1
					}
					for _, l := range strings.Split(s[i+1:i+end], ",") {
						if l = strings.TrimSpace(l); l != "" {
							q.grouping = append(q.grouping, l)
						}
					}
					i += end + 1
				}
			case promqlKeywords[lower] || aggregators[lower]:
			case i < len(s) && s[i] == '(':
				// a function or aggregation
			default:
				sel := selector{metric: word}
				if i < len(s) && s[i] == '{' {
					sel.labels, i = parseMatchers(s, i)
				}
				q.selectors = append(q.selectors, sel)
			}
		case c >= '0' && c <= '9' || c == '.':
			// a number, possibly with exponent or duration unit
			for i < len(s) && (isIdent(s[i]) || s[i] == '.') {
				i++
			}
		default:
			i++
		}
	}
	return q
}

// parseMatchers reads {name op "value", ...} starting at s[i] == '{' and
// returns the label names and the index after '}'.
func parseMatchers(s string, i int) ([]string, int) {
	var labels []string
	i++ // '{'
	for i < len(s) && s[i] != '}' {
		c := s[i]
		switch {
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			labels = append(labels, s[i:j])
			i = j
			// skip the operator and the value
			for i < len(s) && s[i] != '"' && s[i] != '\'' && s[i] != '`' && s[i] != '}' {
				i++
			}
			if i < len(s) && s[i] != '}' {
				i = skipString(s, i)
			}
		default:
			i++
		}
	}
	return labels, i + 1
}

func skipString(s string, i int) int {
	quote := s[i]
	i++
	for i < len(s) && s[i] != quote {
		if s[i] == '\\' && quote != '`' {
			i++
		}
		i++
	}
	return i + 1
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdent(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
