package config

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/token"
)

// Plain scalars are typed by YAML 1.1 rules, as PyYAML (and so Faucet)
// does: yes/no/on/off are booleans, 010 is octal, 1:30 is sexagesimal,
// 2020-01-02 is a date.

func (c *converter) scalar(t *token.Token, value string) *node {
	if t != nil {
		switch t.Type {
		case token.SingleQuoteType, token.DoubleQuoteType:
			n := c.newNode(kStr, t)
			n.s = value
			return n
		}
	}
	text := value
	if t != nil && t.Type != token.StringType {
		text = t.Value
	}
	return c.resolvePlain(t, text)
}

var (
	reBool   = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reNull   = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reInt    = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reFloat  = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reDate   = regexp.MustCompile(`^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$`)
	bigSixty = big.NewInt(60)
)

// resolvePlain applies YAML 1.1 implicit typing to a plain scalar.
func (c *converter) resolvePlain(t *token.Token, text string) *node {
	if text != "" && !strings.ContainsRune("-+.0123456789~nNtTfFyYoO", rune(text[0])) {
		n := c.newNode(kStr, t)
		n.s = text
		return n
	}
	switch {
	case reNull.MatchString(text):
		n := c.newNode(kNull, t)
		n.s = "None"
		return n
	case reBool.MatchString(text):
		n := c.newNode(kBool, t)
		switch text[0] {
		case 'y', 'Y', 't', 'T':
			n.b = true
		case 'o', 'O':
			n.b = text == "on" || text == "On" || text == "ON"
		}
		n.s = text
		return n
	case reInt.MatchString(text):
		n := c.newNode(kInt, t)
		n.s = text
		v, ok := parseYAMLInt(text)
		if !ok {
			c.errAt(t, "cannot read integer %q", text)
			n.kind = kStr
			return n
		}
		if v.IsInt64() {
			n.i = v.Int64()
		} else {
			n.big = v
		}
		return n
	case reFloat.MatchString(text):
		n := c.newNode(kFloat, t)
		n.s = text
		f, ok := parseYAMLFloat(text)
		if !ok {
			c.errAt(t, "cannot read number %q", text)
			n.kind = kStr
			return n
		}
		n.f = f
		return n
	case reDate.MatchString(text):
		n := c.newNode(kDate, t)
		n.s = text
		return n
	}
	n := c.newNode(kStr, t)
	n.s = text
	return n
}

func parseYAMLInt(text string) (*big.Int, bool) {
	s := strings.ReplaceAll(text, "_", "")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	v := new(big.Int)
	ok := true
	switch {
	case strings.Contains(s, ":"):
		for _, part := range strings.Split(s, ":") {
			d, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, false
			}
			v.Mul(v, bigSixty)
			v.Add(v, big.NewInt(d))
		}
	case strings.HasPrefix(s, "0b"):
		_, ok = v.SetString(s[2:], 2)
	case strings.HasPrefix(s, "0x"):
		_, ok = v.SetString(s[2:], 16)
	case len(s) > 1 && s[0] == '0':
		_, ok = v.SetString(s[1:], 8)
	default:
		_, ok = v.SetString(s, 10)
	}
	if !ok {
		return nil, false
	}
	if neg {
		v.Neg(v)
	}
	return v, true
}

func parseYAMLFloat(text string) (float64, bool) {
	s := strings.ReplaceAll(text, "_", "")
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case ".inf":
		if strings.HasPrefix(s, "-") {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case ".nan":
		return math.NaN(), true
	}
	if strings.Contains(s, ":") {
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimLeft(s, "+-")
		var v float64
		for _, part := range strings.Split(s, ":") {
			d, err := strconv.ParseFloat(part, 64)
			if err != nil {
				return 0, false
			}
			v = v*60 + d
		}
		if neg {
			v = -v
		}
		return v, true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
