package e2e

import (
	"fmt"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// flowID identifies a dumped flow by what it is, not its counters.
func flowID(f ovslab.Flow) string {
	return fmt.Sprintf("table=%d,priority=%d,cookie=%#x,%s,idle=%d,hard=%d actions=%s",
		f.Table, f.Priority, f.Cookie, f.MatchString(), f.IdleTimeout, f.HardTimeout, f.Actions)
}

func byID(fs []ovslab.Flow) map[string]ovslab.Flow {
	m := make(map[string]ovslab.Flow, len(fs))
	for _, f := range fs {
		m[flowID(f)] = f
	}
	return m
}
