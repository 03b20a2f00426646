package main

import (
	"context"
	"fmt"
	"io"
)

// flowsCmd is being written; see the issue tracker.
func flowsCmd(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "voipsdn: not implemented yet")
	return 1
}
