package config

import (
	"bytes"
	"regexp"
	"strings"
)

// The YAML parser copies a block mapping's entries once per entry, which
// is quadratic: a section with thousands of VLANs or ACLs takes seconds.
// Large files are therefore parsed in chunks of at most chunkEntries
// entries per top-level section. Every chunk keeps the file's line
// numbering (other lines are blanked), so positions are unchanged. Any
// construct that could span chunks (anchors, aliases, several documents,
// directives) or any chunk that fails to parse sends the file back to the
// ordinary whole-file parse, which then reports the errors.

const (
	chunkMinBytes = 32 << 10
	chunkEntries  = 512
)

var sectionLineRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*:[ \t]*(#.*)?$`)

// parseChunked returns the root node, or ok=false when the whole file
// must be parsed at once.
func parseChunked(file string, data []byte) (root *node, ok bool) {
	if len(data) < chunkMinBytes || bytes.ContainsAny(data, "&*%\t") ||
		bytes.Contains(data, []byte("\n---")) || bytes.Contains(data, []byte("\n...")) {
		return nil, false
	}
	lines := strings.Split(string(data), "\n")
	var starts []int // first line of each top-level entry
	for i, l := range lines {
		if l == "" || l[0] == ' ' || l[0] == '#' {
			continue
		}
		if i == 0 && strings.HasPrefix(l, "---") {
			continue
		}
		starts = append(starts, i)
	}
	if len(starts) == 0 {
		return nil, false
	}
	root = &node{kind: kMap, file: file}
	seen := map[nodeKey]int{} // section key -> index in root
	for si, start := range starts {
		end := len(lines)
		if si+1 < len(starts) {
			end = starts[si+1]
		}
		for _, group := range splitSection(lines, start, end) {
			chunk := blankExcept(lines, start, group)
			f, err := parseBytesSafe([]byte(chunk))
			if err != nil || len(f.Docs) != 1 || f.Docs[0].Body == nil {
				return nil, false
			}
			c := converter{file: file, anchors: map[string]*node{}}
			part := c.convert(f.Docs[0].Body, 0)
			if len(c.errs) > 0 || part.kind != kMap || len(part.keys) != 1 {
				return nil, false
			}
			k, v := part.keys[0], part.vals[0]
			idx, dup := seen[keyID(k)]
			if !dup {
				seen[keyID(k)] = len(root.keys)
				root.keys = append(root.keys, k)
				root.vals = append(root.vals, v)
				if len(root.keys) == 1 {
					root.line, root.col = k.line, k.col
				}
				continue
			}
			// Later chunk of the same section: both must be mappings
			// and their keys distinct, else the ordinary parse decides.
			prev := root.vals[idx]
			if prev.kind != kMap || v.kind != kMap {
				return nil, false
			}
			have := make(map[nodeKey]bool, len(prev.keys))
			for _, pk := range prev.keys {
				have[keyID(pk)] = true
			}
			for j, ck := range v.keys {
				if have[keyID(ck)] {
					return nil, false
				}
				prev.keys = append(prev.keys, ck)
				prev.vals = append(prev.vals, v.vals[j])
			}
		}
	}
	return root, true
}

// splitSection returns the line ranges [from, to) of a top-level entry's
// children, grouped chunkEntries at a time. An entry that is not a plain
// "key:" with a block mapping under it is one group.
func splitSection(lines []string, start, end int) [][2]int {
	whole := [][2]int{{start + 1, end}}
	if !sectionLineRE.MatchString(lines[start]) {
		return whole
	}
	indent := -1
	var keys []int
	for i := start + 1; i < end; i++ {
		l := lines[i]
		t := strings.TrimLeft(l, " ")
		if t == "" || t[0] == '#' {
			continue
		}
		ind := len(l) - len(t)
		if indent < 0 {
			indent = ind
		}
		if ind < indent {
			return whole
		}
		if ind == indent {
			if t[0] == '-' || t[0] == '?' || !strings.Contains(t, ":") {
				return whole
			}
			keys = append(keys, i)
		}
	}
	if len(keys) <= chunkEntries {
		return whole
	}
	var groups [][2]int
	for g := 0; g < len(keys); g += chunkEntries {
		from := keys[g]
		if g == 0 {
			from = start + 1
		}
		to := end
		if g+chunkEntries < len(keys) {
			to = keys[g+chunkEntries]
		}
		groups = append(groups, [2]int{from, to})
	}
	return groups
}

// blankExcept renders the lines of one chunk, keeping the line numbering:
// the section line and the group's lines, every other line empty.
func blankExcept(lines []string, section int, group [2]int) string {
	var b strings.Builder
	for i, l := range lines {
		if i == section || i >= group[0] && i < group[1] {
			b.WriteString(l)
		}
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
