package config

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
)

// Source is the result of Load: the merged top-level sections of the main
// file and everything it includes, with every node's position.
type Source struct {
	// Main is the main file as given.
	Main string
	// Files lists the files read, main first.
	Files []string
	// Missing lists files that could not be read (optional includes that
	// do not exist, unreadable files); they are watched so that creating
	// or fixing one triggers a reload.
	Missing []string
	// Hashes maps each file in Files to the SHA-256 of its content.
	Hashes map[string][32]byte
	// Warnings are problems Faucet also tolerates (a skipped optional
	// include, for example).
	Warnings Errors

	sections map[string]*node
	version  *node
}

// readFunc reads a file; tests and LoadBytes substitute their own.
type readFunc func(path string) ([]byte, error)

type loader struct {
	read  readFunc
	src   *Source
	errs  errList
	chain []chainLink
}

type chainLink struct{ key, path string }

// Load reads the main configuration file and all files it includes.
// Each file must be a regular file of at most MaxFileBytes. Includes are resolved relative to the including file; a loop is an
// error; a missing include-optional is skipped. Load does not check the
// sections' content: that is Parse's job. The error, when not nil, is an
// Errors value listing every problem found.
func Load(path string) (*Source, error) {
	return loadWith(path, ReadFile)
}

// LoadBytes is Load with the main file's content supplied; includes are
// still read from disk relative to name.
func LoadBytes(name string, data []byte) (*Source, error) {
	return loadWith(name, func(p string) ([]byte, error) {
		if p == name {
			return data, nil
		}
		return ReadFile(p)
	})
}

func loadWith(path string, read readFunc) (*Source, error) {
	l := &loader{
		read: read,
		src: &Source{
			Main:     path,
			Hashes:   map[string][32]byte{},
			sections: map[string]*node{},
		},
	}
	l.file(path, Pos{File: path}, true, true)
	if l.errs.len() > 0 {
		return l.src, l.errs.errs.sorted()
	}
	return l.src, nil
}

func canonical(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// file loads one file into the merged sections. ref is where the file was
// named (the include entry), required says whether problems are errors or
// (for include-optional) warnings. It reports whether the file loaded.
func (l *loader) file(path string, ref Pos, required, main bool) bool {
	key := canonical(path)
	for _, anc := range l.chain {
		if anc.key == key {
			l.errs.add(ref, "include loop: %s includes %s again", l.displayChain(), path)
			return false
		}
	}
	data, err := l.read(path)
	if err != nil {
		// Watched, so that creating or fixing the file triggers a reload.
		l.src.Missing = append(l.src.Missing, path)
		if !required && errors.Is(err, fs.ErrNotExist) {
			l.src.Warnings = append(l.src.Warnings, Error{Pos: ref, Msg: "optional include " + path + " not found, skipped"})
			return false
		}
		msg := "cannot read " + path + ": " + describeReadErr(err)
		l.report(ref, required, msg)
		return false
	}
	root, yerrs := parseYAML(path, data)
	if len(yerrs) > 0 {
		if !required {
			l.src.Warnings = append(l.src.Warnings, Error{Pos: ref, Msg: "optional include " + path + " skipped: " + yerrs[0].msg})
			return false
		}
		for _, ye := range yerrs {
			l.errs.add(Pos{File: path, Line: ye.line, Col: ye.col}, "%s", ye.msg)
		}
		return false
	}
	if root == nil || root.kind == kNull {
		l.report(Pos{File: path}, required, "config file is empty")
		return false
	}
	if root.kind != kMap {
		l.report(root.pos(""), required, "config file must be a mapping of top-level sections (dps, vlans, acls, routers, meters, include, include-optional, version, voip), not a "+root.kind.String())
		return false
	}
	if !required {
		// Faucet skips an optional include that has any problem; check
		// its shape before merging anything from it.
		if msg := quickCheck(root); msg != "" {
			l.src.Warnings = append(l.src.Warnings, Error{Pos: ref, Msg: "optional include " + path + " skipped: " + msg})
			return false
		}
	}
	l.src.Files = append(l.src.Files, path)
	l.src.Hashes[path] = sha256.Sum256(data)
	l.chain = append(l.chain, chainLink{key, path})
	defer func() { l.chain = l.chain[:len(l.chain)-1] }()

	var includes [2]*node
	for i, k := range root.keys {
		v := root.vals[i]
		kp := k.pos(k.text())
		name := k.s
		if k.kind != kStr {
			name = "\x00"
		}
		switch name {
		case "include":
			includes[0] = v
		case "include-optional":
			includes[1] = v
		case "version":
			if main {
				l.src.version = v
			}
		case "dps", "vlans", "acls", "routers", "meters", "voip":
			if v.kind != kMap {
				l.errs.add(v.pos(name), "section must be a mapping, not %s", describe(v))
				continue
			}
			l.merge(name, v)
		default:
			l.errs.add(kp, "unknown top-level key %s (valid: acls, dps, include, include-optional, meters, routers, version, vlans, voip)", quote(k.text()))
		}
	}
	for i, inc := range includes {
		if inc == nil {
			continue
		}
		directive := [...]string{"include", "include-optional"}[i]
		if inc.kind != kSeq {
			l.errs.add(inc.pos(directive), "must be a list of file names, not %s", describe(inc))
			continue
		}
		for j, item := range inc.seq {
			ip := item.pos(index(directive, j))
			if item.kind != kStr || item.s == "" {
				l.errs.add(ip, "include entry must be a file name, not %s", describe(item))
				continue
			}
			incPath := item.s
			if !filepath.IsAbs(incPath) {
				incPath = filepath.Join(filepath.Dir(path), incPath)
			}
			l.file(incPath, ip, i == 0, false)
		}
	}
	return true
}

func (l *loader) report(p Pos, required bool, msg string) {
	if required {
		l.errs.add(p, "%s", msg)
		return
	}
	l.src.Warnings = append(l.src.Warnings, Error{Pos: p, Msg: "optional include skipped: " + msg})
}

func (l *loader) displayChain() string {
	parts := make([]string, len(l.chain))
	for i, c := range l.chain {
		parts[i] = c.path
	}
	return strings.Join(parts, " -> ")
}

func describeReadErr(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "file does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// quickCheck finds the structural problems that make Faucet reject a file
// before merging it: unknown top-level keys and non-mapping sections.
func quickCheck(root *node) string {
	for i, k := range root.keys {
		switch k.s {
		case "include", "include-optional", "version":
			continue
		case "dps", "vlans", "acls", "routers", "meters", "voip":
			if root.vals[i].kind != kMap {
				return "section " + k.s + " is not a mapping"
			}
		default:
			return "unknown top-level key " + quote(k.text())
		}
	}
	return ""
}

// merge adds a section's entries, replacing entries with the same key as
// Python's dict.update does (later files win, position is kept).
func (l *loader) merge(name string, v *node) {
	cur := l.src.sections[name]
	if cur == nil {
		cp := *v
		cp.keys = append([]*node(nil), v.keys...)
		cp.vals = append([]*node(nil), v.vals...)
		l.src.sections[name] = &cp
		return
	}
	idx := make(map[nodeKey]int, len(cur.keys))
	for j, ck := range cur.keys {
		idx[keyID(ck)] = j
	}
	for i, k := range v.keys {
		if j, ok := idx[keyID(k)]; ok {
			cur.keys[j], cur.vals[j] = k, v.vals[i]
			continue
		}
		idx[keyID(k)] = len(cur.keys)
		cur.keys = append(cur.keys, k)
		cur.vals = append(cur.vals, v.vals[i])
	}
}
