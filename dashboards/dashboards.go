package dashboards

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// DatasourceUID is the UID of the Prometheus datasource that the
// provisioning files and `voipsdn dashboards push` create.
const DatasourceUID = "voipsdn-prometheus"

//go:embed voipsdn/*.json faucet/*.json
var files embed.FS

// Dashboard is one dashboard file.
type Dashboard struct {
	Origin string // "voipsdn" or "faucet"
	File   string // path inside the package, e.g. "faucet/faucet_inventory.json"
	UID    string
	Title  string
	JSON   []byte // as shipped
}

// All returns every shipped dashboard, ours first, each group by file name.
func All() ([]Dashboard, error) {
	var out []Dashboard
	for _, origin := range []string{"voipsdn", "faucet"} {
		names, err := fs.Glob(files, origin+"/*.json")
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		for _, name := range names {
			raw, err := files.ReadFile(name)
			if err != nil {
				return nil, err
			}
			var head struct {
				UID   string `json:"uid"`
				Title string `json:"title"`
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				return nil, fmt.Errorf("dashboards: %s: %w", name, err)
			}
			if head.UID == "" || head.Title == "" {
				return nil, fmt.Errorf("dashboards: %s: no uid or title", name)
			}
			out = append(out, Dashboard{Origin: origin, File: path.Clean(name), UID: head.UID, Title: head.Title, JSON: raw})
		}
	}
	return out, nil
}
