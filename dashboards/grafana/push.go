package grafana

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/voipsdn/voipsdn/dashboards"
)

// Saved is one dashboard Push saved.
type Saved struct {
	UID, Title string
	Version    int64 // Grafana's version after the save
}

// Report says what Push did.
type Report struct {
	DatasourceCreated bool // false: it existed and was updated
	Dashboards        []Saved
}

// Push makes Grafana hold ds and boards: the datasource is updated if its
// UID exists and created otherwise; each dashboard is saved by UID with
// overwrite, its Prometheus datasource references pointed at ds.UID (see
// dashboards.ResolveDatasource). It stops at the first error; what was
// saved before stays, and pushing again completes it.
func Push(ctx context.Context, api API, ds Datasource, boards []dashboards.Dashboard) (Report, error) {
	var r Report
	exists, err := api.DatasourceExists(ctx, ds.UID)
	if err != nil {
		return r, err
	}
	if exists {
		err = api.UpdateDatasource(ctx, ds)
	} else {
		err = api.CreateDatasource(ctx, ds)
		r.DatasourceCreated = err == nil
	}
	if err != nil {
		return r, err
	}
	for _, b := range boards {
		model, err := prepare(b, ds.UID)
		if err != nil {
			return r, err
		}
		v, err := api.SaveDashboard(ctx, model, "voipsdn dashboards push")
		if err != nil {
			return r, err
		}
		r.Dashboards = append(r.Dashboards, Saved{UID: b.UID, Title: b.Title, Version: v})
	}
	return r, nil
}

// prepare resolves a dashboard's datasource and drops its numeric id, which
// belongs to the Grafana it was exported from; saving by uid with
// overwrite then updates the existing dashboard instead of adding one.
func prepare(b dashboards.Dashboard, dsUID string) (map[string]any, error) {
	raw, err := dashboards.ResolveDatasource(b.JSON, dsUID)
	if err != nil {
		return nil, fmt.Errorf("grafana: %s: %w", b.File, err)
	}
	var model map[string]any
	if err := json.Unmarshal(raw, &model); err != nil {
		return nil, fmt.Errorf("grafana: %s: %w", b.File, err)
	}
	delete(model, "id")
	delete(model, "__requires")
	delete(model, "__elements")
	return model, nil
}
