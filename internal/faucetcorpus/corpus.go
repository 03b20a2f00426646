// Package faucetcorpus locates Faucet's own config test cases for the
// conformance suite (tests built with -tags conformance, run by `make
// conformance CORPUS=dir`). The cases come from Faucet's test suite, so
// they are not part of this repository; the suite reads them from the
// directory named by $VOIPSDN_FAUCET_CORPUS, laid out as Faucet's cases
// are in the CI corpus (shared/faucet-configs beside the checkout):
// valid/, invalid/, expected.json, examples/ and grafana-dashboards/.
package faucetcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Env names the environment variable that holds the corpus directory.
const Env = "VOIPSDN_FAUCET_CORPUS"

// Dir returns the corpus directory. Without $VOIPSDN_FAUCET_CORPUS the test
// is skipped (`make conformance` itself refuses to run without a corpus
// under CI=true); a directory that is given but is not a corpus fails it.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(Env)
	if dir == "" {
		t.Skipf("no Faucet config corpus: set %s (make conformance CORPUS=dir)", Env)
	}
	if !filepath.IsAbs(dir) {
		t.Fatalf("%s=%q must be an absolute path (tests run in their package's directory)", Env, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
		t.Fatalf("%s=%s is not a Faucet config corpus: %v", Env, dir, err)
	}
	return dir
}
