package main

import (
	"context"
	"fmt"
	"io"
)

// dashboardsCmd is being written; see the issue tracker.
func dashboardsCmd(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "voipsdn: not implemented yet")
	return 1
}
