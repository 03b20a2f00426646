package config

// Unsupported lists the configured Faucet features that this package
// validates but that voipsdn does not program yet: 802.1X, tunnels and
// coprocessor ports. `run` should refuse a
// configuration for which this is not empty; check-config still accepts it
// (it is valid Faucet configuration).
func (c *Config) Unsupported() []Error {
	var out []Error
	add := func(p Pos, feature string) {
		out = append(out, Error{Pos: p, Msg: "not supported yet: " + feature})
	}
	sub := func(p Pos, key string) Pos {
		p.Path = join(p.Path, key)
		return p
	}
	for _, dp := range c.DPs {
		if dp.Dot1x != nil {
			add(sub(dp.Pos, "dot1x"), "802.1X")
		}
		for _, p := range dp.Ports {
			switch {
			case p.Dot1x:
				add(sub(p.Pos, "dot1x"), "802.1X")
			case p.Coprocessor != nil:
				add(sub(p.Pos, "coprocessor"), "coprocessor ports")
			}
		}
	}
	for _, a := range c.ACLs {
		for _, r := range a.Rules {
			if r.Actions.Output == nil {
				continue
			}
			for _, st := range r.Actions.Output.Steps {
				if st.Kind == OutTunnel {
					add(sub(r.Pos, "actions.output.tunnel"), "tunnels")
				}
			}
		}
	}
	return out
}
