package config

import (
	"strings"
	"testing"
)

// TestDeepNestingRejectedQuickly: pathological nesting is refused before
// the YAML parser, whose time grows steeply with depth.
func TestDeepNestingRejectedQuickly(t *testing.T) {
	for _, doc := range []string{
		"a: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"a: " + strings.Repeat("{b: ", 70) + "1" + strings.Repeat("}", 70),
		strings.Repeat("- ", 100) + "x\n",
	} {
		_, err := LoadFileBytes("deep.yaml", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), "deep.yaml:1:") || !strings.Contains(err.Error(), "nesting deeper than 64") {
			t.Errorf("want a nesting error, got %v", err)
		}
	}
	// Ordinary brackets in quoted strings and comments do not count.
	ok := minimal + "# " + strings.Repeat("[", 100) + "\n"
	if _, err := LoadFileBytes("ok.yaml", []byte(ok)); err != nil {
		t.Errorf("brackets in a comment: %v", err)
	}
}
