package layers

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/voipsdn/voipsdn/"

// layerOf returns the layer of a package path inside the module (see the
// package doc), or -1 for one the table does not place.
func layerOf(rel string) int {
	under := func(p string) bool { return rel == p || strings.HasPrefix(rel, p+"/") }
	switch {
	case under("openflow"), under("controller/internal/wire"), rel == "internal/eventbus":
		// internal/eventbus is a leaf (a bounded fan-out of byte records
		// importing nothing of voipsdn's), used by the AMI gateway below
		// and the app above.
		return 0
	case under("faucet"):
		return 1
	case under("call"):
		return 2
	case under("ami"), under("ari"), under("agi"):
		return 3
	case under("qos"):
		return 4
	case rel == "controller":
		return 5
	case under("controller"):
		return 6
	case under("internal"), under("dashboards"), under("mininet"):
		return 7
	case under("cmd"):
		return 8
	}
	return -1
}

// testHarnesses are packages that exist to be imported by tests of any
// layer (a lab switch, test certificates, a Prometheus lab, fault
// injection, the Faucet test corpus); a test importing them is not a
// dependency of the package under test.
var testHarnesses = map[string]bool{
	"internal/ovslab": true, "internal/testpki": true, "internal/promlab": true,
	"internal/fault": true, "internal/faucetcorpus": true, "internal/etcdlab": true,
}

// testExceptions are upward imports that tests make on purpose, each with
// its reason.
var testExceptions = map[string]string{
	"controller/metrics -> internal/voicemetrics": "the scrape benchmark measures both registries as one scrape",
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd)) // internal/layers
}

type pkg struct {
	rel         string
	imports     []string
	testImports []string
	goFiles     []string
	dir         string
}

func packages(t *testing.T) []pkg {
	t.Helper()
	root := repoRoot(t)
	var out []pkg
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		p, err := build.Default.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, pkg{rel: filepath.ToSlash(rel), imports: p.Imports,
			testImports: append(append([]string(nil), p.TestImports...), p.XTestImports...), goFiles: p.GoFiles, dir: path})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 30 {
		t.Fatalf("found only %d packages under %s", len(out), root)
	}
	return out
}

// TestImportsRunDownwards fails on any import from a lower layer to a
// higher one, in the packages' code and, but for harnesses and the listed
// exceptions, in their tests.
func TestImportsRunDownwards(t *testing.T) {
	for _, p := range packages(t) {
		from := layerOf(p.rel)
		if from < 0 {
			t.Errorf("package %s has no layer: place it in layerOf and the package doc", p.rel)
			continue
		}
		check := func(imports []string, test bool) {
			for _, imp := range imports {
				rel, ok := strings.CutPrefix(imp, module)
				if !ok || rel == p.rel {
					continue
				}
				to := layerOf(rel)
				if to <= from {
					continue
				}
				if test && (testHarnesses[rel] || testExceptions[p.rel+" -> "+rel] != "") {
					continue
				}
				kind := "imports"
				if test {
					kind = "imports in its tests"
				}
				t.Errorf("%s (layer %d) %s %s (layer %d)", p.rel, from, kind, rel, to)
			}
		}
		check(p.imports, false)
		check(p.testImports, true)
	}
}

// clockCalls are the functions of package time that read the clock or
// start a timer.
var clockCalls = map[string]bool{
	"Now": true, "Since": true, "Until": true, "AfterFunc": true, "After": true, "Sleep": true,
	"NewTimer": true, "NewTicker": true, "Tick": true,
}

// forbiddenInPlanner are imports that would give qos state shared across
// goroutines or I/O.
var forbiddenInPlanner = map[string]bool{
	"sync": true, "sync/atomic": true, "os": true, "net": true, "io": true, "log/slog": true, "syscall": true,
}

// TestPlannerIsPure checks that qos, the planner, starts no goroutine,
// reads no clock, arms no timer and imports nothing for I/O or locking.
func TestPlannerIsPure(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "qos")
	p, err := build.Default.ImportDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range p.Imports {
		if forbiddenInPlanner[imp] {
			t.Errorf("qos imports %s", imp)
		}
	}
	fset := token.NewFileSet()
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		timeName := ""
		for _, is := range f.Imports {
			if is.Path.Value == `"time"` {
				timeName = "time"
				if is.Name != nil {
					timeName = is.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: go statement in qos", fset.Position(n.Pos()))
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && timeName != "" && id.Name == timeName && clockCalls[n.Sel.Name] {
					t.Errorf("%s: qos uses time.%s", fset.Position(n.Pos()), n.Sel.Name)
				}
			}
			return true
		})
	}
}
