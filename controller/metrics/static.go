package metrics

// StaticDPs is a DPSource over fixed values, for tests, examples and
// benchmarks. It must not be modified while a scrape may run.
type StaticDPs []DP

// EachDP calls fn for each element.
func (s StaticDPs) EachDP(fn func(*DP)) {
	for i := range s {
		fn(&s[i])
	}
}

// StaticConfig is a ConfigSource returning a fixed state.
type StaticConfig ConfigState

// ConfigState returns s.
func (s StaticConfig) ConfigState() ConfigState { return ConfigState(s) }

// StaticStack is a StackSource returning a fixed state.
type StaticStack StackState

// StackState returns s.
func (s StaticStack) StackState() StackState { return StackState(s) }
