package grafana

import "context"

// API is the part of Grafana's HTTP API that Push uses.
type API interface {
	// DatasourceExists reports whether a datasource with uid exists.
	DatasourceExists(ctx context.Context, uid string) (bool, error)
	// CreateDatasource adds ds (POST /api/datasources).
	CreateDatasource(ctx context.Context, ds Datasource) error
	// UpdateDatasource replaces the datasource with ds.UID (PUT /api/datasources/uid/:uid).
	UpdateDatasource(ctx context.Context, ds Datasource) error
	// SaveDashboard creates or overwrites the dashboard with the model's uid
	// (POST /api/dashboards/db with overwrite) and returns its new version.
	SaveDashboard(ctx context.Context, model map[string]any, message string) (version int64, err error)
}

// Datasource is the Prometheus datasource voipsdn's dashboards use.
type Datasource struct {
	UID       string
	Name      string
	URL       string // Prometheus, as Grafana's server reaches it
	IsDefault bool
}
