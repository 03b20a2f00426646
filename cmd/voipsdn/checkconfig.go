package main

import (
	"context"
	"fmt"
	"io"
)

// checkConfigCmd is being written; see the issue tracker.
func checkConfigCmd(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "voipsdn: not implemented yet")
	return 1
}
