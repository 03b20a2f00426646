package dashboards

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ResolveDatasource returns the dashboard with every Prometheus datasource
// reference that is not a dashboard template variable (Faucet's export
// input ${DS_PROMETHEUS}, or a fixed UID such as Faucet's "000000001")
// pointed at uid, and the export-only __inputs dropped. References to a
// template variable of the dashboard itself (${datasource}) are kept.
func ResolveDatasource(raw []byte, uid string) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("dashboards: resolve datasource: %w", err)
	}
	vars := templateVars(d)
	delete(d, "__inputs")
	rewrite(d, func(ref map[string]any) {
		if ref["type"] != "prometheus" {
			return
		}
		cur, _ := ref["uid"].(string)
		if name, ok := varName(cur); ok && vars[name] {
			return
		}
		ref["uid"] = uid
	})
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// templateVars names the dashboard's own template variables.
func templateVars(d map[string]any) map[string]bool {
	out := map[string]bool{}
	t, _ := d["templating"].(map[string]any)
	list, _ := t["list"].([]any)
	for _, v := range list {
		if m, ok := v.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				out[n] = true
			}
		}
	}
	return out
}

// varName parses "$name" or "${name}".
func varName(s string) (string, bool) {
	if !strings.HasPrefix(s, "$") {
		return "", false
	}
	s = strings.TrimPrefix(s, "$")
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	return s, s != ""
}

// rewrite calls fn on every "datasource" object in v.
func rewrite(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if m, ok := c.(map[string]any); ok && k == "datasource" {
				fn(m)
			}
			rewrite(c, fn)
		}
	case []any:
		for _, c := range x {
			rewrite(c, fn)
		}
	}
}
