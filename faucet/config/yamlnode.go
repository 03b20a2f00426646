package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// kind is the YAML type of a node after YAML 1.1 resolution, which is what
// Faucet (PyYAML) sees: `yes` is a bool, `010` is octal, `1:30` is an int.
type kind int

const (
	kNull kind = iota
	kBool
	kInt
	kFloat
	kStr
	kDate
	kBytes
	kMap
	kSeq
)

func (k kind) String() string {
	return [...]string{"null", "bool", "int", "float", "str", "date", "bytes", "map", "list"}[k]
}

// node is one YAML value with its source position. Mappings keep their
// keys in order.
type node struct {
	kind kind
	file string
	line int
	col  int

	b    bool
	i    int64    // kInt when big == nil
	big  *big.Int // kInt too large for int64
	f    float64
	s    string // kStr value; for other scalars the text as written
	keys []*node
	vals []*node
	seq  []*node
}

func (n *node) pos(path string) Pos {
	if n == nil {
		return Pos{Path: path}
	}
	return Pos{File: n.file, Line: n.line, Col: n.col, Path: path}
}

// get returns the value for a string key in a mapping, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kMap {
		return nil
	}
	for i, k := range n.keys {
		if k.kind == kStr && k.s == key {
			return n.vals[i]
		}
	}
	return nil
}

// has reports whether a mapping has the string key (even with a null value).
func (n *node) has(key string) bool {
	if n == nil || n.kind != kMap {
		return false
	}
	for _, k := range n.keys {
		if k.kind == kStr && k.s == key {
			return true
		}
	}
	return false
}

// isNull reports whether the node is absent or YAML null.
func (n *node) isNull() bool { return n == nil || n.kind == kNull }

// text renders a scalar roughly as Faucet would print it, for messages
// and for using a key as a name.
func (n *node) text() string {
	if n == nil {
		return "None"
	}
	switch n.kind {
	case kNull:
		return "None"
	case kBool:
		if n.b {
			return "True"
		}
		return "False"
	case kInt:
		if n.big != nil {
			return n.big.String()
		}
		return strconv.FormatInt(n.i, 10)
	case kFloat:
		return strconv.FormatFloat(n.f, 'g', -1, 64)
	case kStr, kDate, kBytes:
		return n.s
	case kMap:
		return "{...}"
	case kSeq:
		return "[...]"
	}
	return "?"
}

// raw returns a scalar as written in the file (0x800 stays 0x800).
func (n *node) raw() string {
	if n != nil && n.s != "" && (n.kind == kInt || n.kind == kFloat || n.kind == kBool) {
		return n.s
	}
	return n.text()
}

// intVal returns an int node's value (bools count as ints, as in Python).
func (n *node) intVal() (int64, bool) {
	switch n.kind {
	case kInt:
		if n.big != nil {
			return 0, false
		}
		return n.i, true
	case kBool:
		if n.b {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// isInt reports Python's isinstance(v, int): ints and bools.
func (n *node) isInt() bool { return n != nil && (n.kind == kInt || n.kind == kBool) }

// scalarKey reports whether the node can be a mapping key (hashable).
func (n *node) scalarKey() bool { return n.kind != kMap && n.kind != kSeq }

// nodeKey identifies a mapping key with Python dict-key equality: numbers
// compare by value, so 1, 1.0 and True are the same key.
type nodeKey struct {
	k kind
	s string
	i int64
}

func keyID(n *node) nodeKey {
	switch n.kind {
	case kInt:
		if n.big != nil {
			return nodeKey{k: kInt, s: n.big.String()}
		}
		return nodeKey{k: kInt, i: n.i}
	case kBool:
		if n.b {
			return nodeKey{k: kInt, i: 1}
		}
		return nodeKey{k: kInt}
	case kFloat:
		if n.f == math.Trunc(n.f) && math.Abs(n.f) < 1e18 {
			return nodeKey{k: kInt, i: int64(n.f)}
		}
		return nodeKey{k: kFloat, s: n.text()}
	}
	return nodeKey{k: n.kind, s: n.s}
}

// yamlError is a problem found while reading one file.
type yamlError struct {
	line, col int
	msg       string
}

// parseYAML parses one YAML file into a node tree with PyYAML (YAML 1.1)
// scalar resolution. The returned root is nil for an empty document.
func parseYAML(file string, data []byte) (*node, []yamlError) {
	if !utf8.Valid(data) {
		line, col := invalidUTF8Pos(data)
		return nil, []yamlError{{line, col, "file is not valid UTF-8"}}
	}
	// A UTF-8 byte order mark is allowed at the start, as in PyYAML.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if line, col, deep := tooDeep(data); deep {
		return nil, []yamlError{{line, col, fmt.Sprintf("YAML nesting deeper than %d levels", maxFlowDepth)}}
	}
	data = fixBareTags(data)
	if root, ok := parseChunked(file, data); ok {
		return root, nil
	}
	f, err := parseBytesSafe(data)
	if err != nil {
		var se interface {
			GetMessage() string
			GetToken() *token.Token
		}
		if errors.As(err, &se) && se.GetToken() != nil && se.GetToken().Position != nil {
			p := se.GetToken().Position
			return nil, []yamlError{{p.Line, p.Column, "YAML syntax error: " + se.GetMessage()}}
		}
		return nil, []yamlError{{0, 0, "YAML syntax error: " + firstLine(err.Error())}}
	}
	if len(f.Docs) > 1 {
		p := f.Docs[1].GetToken()
		line, col := 0, 0
		if p != nil && p.Position != nil {
			line, col = p.Position.Line, p.Position.Column
		}
		return nil, []yamlError{{line, col, "expected a single YAML document, found several"}}
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, nil
	}
	c := converter{file: file, anchors: map[string]*node{}}
	root := c.convert(f.Docs[0].Body, 0)
	return root, c.errs
}

// parseBytesSafe guards against parser panics on hostile input: a config
// file must never crash the controller.
func parseBytesSafe(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("unparseable YAML (%v)", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func invalidUTF8Pos(data []byte) (int, int) {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i += size
	}
	return line, col
}

type converter struct {
	file    string
	anchors map[string]*node
	errs    []yamlError
}

func (c *converter) errAt(t *token.Token, format string, args ...any) {
	line, col := 0, 0
	if t != nil && t.Position != nil {
		line, col = t.Position.Line, t.Position.Column
	}
	c.errs = append(c.errs, yamlError{line, col, fmt.Sprintf(format, args...)})
}

func (c *converter) newNode(k kind, t *token.Token) *node {
	n := &node{kind: k, file: c.file}
	if t != nil && t.Position != nil {
		n.line, n.col = t.Position.Line, t.Position.Column
	}
	return n
}

const maxDepth = 200

func (c *converter) convert(an ast.Node, depth int) *node {
	if an == nil {
		return &node{kind: kNull, file: c.file}
	}
	if depth > maxDepth {
		c.errAt(an.GetToken(), "YAML nesting too deep")
		return c.newNode(kNull, an.GetToken())
	}
	switch v := an.(type) {
	case *ast.DocumentNode:
		return c.convert(v.Body, depth+1)
	case *ast.NullNode:
		n := c.newNode(kNull, v.GetToken())
		n.s = "None"
		return n
	case *ast.StringNode:
		return c.scalar(v.Token, v.Value)
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return c.scalar(an.GetToken(), an.GetToken().Value)
	case *ast.LiteralNode:
		n := c.newNode(kStr, v.Start)
		if v.Value != nil {
			n.s = v.Value.Value
		}
		return n
	case *ast.MappingNode:
		return c.mapping(v.Values, v.GetToken(), depth)
	case *ast.MappingValueNode:
		return c.mapping([]*ast.MappingValueNode{v}, v.GetToken(), depth)
	case *ast.SequenceNode:
		n := c.newNode(kSeq, v.GetToken())
		for _, item := range v.Values {
			n.seq = append(n.seq, c.convert(item, depth+1))
		}
		return n
	case *ast.AnchorNode:
		n := c.convert(v.Value, depth+1)
		if v.Name != nil {
			c.anchors[v.Name.GetToken().Value] = n
		}
		return n
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.GetToken().Value
		}
		if n, ok := c.anchors[name]; ok {
			return n
		}
		c.errAt(v.GetToken(), "unknown YAML alias *%s", name)
		return c.newNode(kNull, v.GetToken())
	case *ast.TagNode:
		return c.tagged(v, depth)
	case *ast.MappingKeyNode:
		return c.convert(v.Value, depth+1)
	case *ast.MergeKeyNode:
		n := c.newNode(kStr, v.Token)
		n.s = "<<"
		return n
	}
	c.errAt(an.GetToken(), "unsupported YAML construct")
	return c.newNode(kNull, an.GetToken())
}

func (c *converter) mapping(values []*ast.MappingValueNode, start *token.Token, depth int) *node {
	n := c.newNode(kMap, start)
	if len(values) > 0 && values[0].Key != nil {
		if t := values[0].Key.GetToken(); t != nil && t.Position != nil {
			n.line, n.col = t.Position.Line, t.Position.Column
		}
	}
	var merged []*node
	seen := make(map[nodeKey]*node, len(values))
	for _, mv := range values {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			merged = append(merged, c.convert(mv.Value, depth+1))
			continue
		}
		if mk, ok := mv.Key.(*ast.MappingKeyNode); ok && mv.Start != nil && mk.Start != nil &&
			mv.Start.Position != nil && mk.Start.Position != nil && mv.Start.Position.Line == mk.Start.Position.Line {
			// "? a: b" makes the key itself a mapping (PyYAML: unhashable).
			c.errAt(mk.Start, "mapping key must be a scalar, not a mapping (explicit ? key)")
			continue
		}
		k := c.convert(mv.Key, depth+1)
		if !k.scalarKey() {
			c.errAt(mv.Key.GetToken(), "mapping key must be a scalar, not a %s", k.kind)
			continue
		}
		id := keyID(k)
		if prev, dup := seen[id]; dup {
			c.errAt(mv.Key.GetToken(), "duplicate key %q (first at line %d)", k.text(), prev.line)
			continue
		}
		seen[id] = k
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, c.convert(mv.Value, depth+1))
	}
	// Merge keys (<<) add entries that are not set explicitly.
	for _, m := range merged {
		srcs := []*node{m}
		if m.kind == kSeq {
			srcs = m.seq
		}
		for _, src := range srcs {
			if src.kind != kMap {
				c.errs = append(c.errs, yamlError{src.line, src.col, "merge key value must be a mapping"})
				continue
			}
			for i, k := range src.keys {
				if _, found := seen[keyID(k)]; !found {
					seen[keyID(k)] = k
					n.keys = append(n.keys, k)
					n.vals = append(n.vals, src.vals[i])
				}
			}
		}
	}
	return n
}

func (c *converter) tagged(v *ast.TagNode, depth int) *node {
	tag := v.Start.Value
	inner := v.Value
	switch tag {
	case "!", "!!str", "tag:yaml.org,2002:str":
		if inner == nil {
			n := c.newNode(kStr, v.Start)
			return n
		}
		n := c.convert(inner, depth+1)
		if n.kind == kMap || n.kind == kSeq {
			if tag == "!" {
				return n
			}
			c.errAt(v.Start, "tag %s cannot apply to a %s", tag, n.kind)
			return n
		}
		if n.kind != kStr {
			s := inner.GetToken().Value
			n = &node{kind: kStr, file: n.file, line: n.line, col: n.col, s: s}
		}
		return n
	case "!!int", "!!float", "!!bool", "!!null":
		var text string
		var t *token.Token = v.Start
		if inner != nil {
			t = inner.GetToken()
			text = t.Value
		}
		n := c.resolvePlain(t, text)
		want := map[string]kind{"!!int": kInt, "!!float": kFloat, "!!bool": kBool, "!!null": kNull}[tag]
		if want == kFloat && n.kind == kInt {
			n.kind, n.f = kFloat, float64(n.i)
		}
		if n.kind != want {
			c.errAt(v.Start, "cannot read %q as %s", text, tag)
		}
		return n
	case "!!map", "!!seq":
		return c.convert(inner, depth+1)
	}
	c.errAt(v.Start, "unsupported YAML tag %s", tag)
	return c.newNode(kNull, v.Start)
}
