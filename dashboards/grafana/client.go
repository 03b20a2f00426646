package grafana

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	goapi "github.com/grafana/grafana-openapi-client-go/client"
	"github.com/grafana/grafana-openapi-client-go/client/dashboards"
	"github.com/grafana/grafana-openapi-client-go/client/datasources"
	"github.com/grafana/grafana-openapi-client-go/models"
)

// client implements API with the OpenAPI client.
type client struct {
	api *goapi.GrafanaHTTPAPI
}

// NewClient returns an API for the Grafana at baseURL (e.g.
// http://localhost:3000, or https://host/grafana behind a proxy). hc may be
// nil for a default client.
func NewClient(baseURL string, auth Auth, hc *http.Client) (API, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		// url's errors quote the input, which may hold a password.
		return nil, errors.New("grafana: bad URL: want http(s)://host[:port][/path]")
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("grafana: bad URL %q: want http(s)://host[:port][/path]", u.Redacted())
	}
	if u.User != nil {
		return nil, errors.New("grafana: put credentials in a file, not in the URL")
	}
	cfg := &goapi.TransportConfig{
		Host:     u.Host,
		BasePath: strings.TrimSuffix(u.Path, "/") + "/api",
		Schemes:  []string{u.Scheme},
		Client:   hc,
		// Debug stays off: the transport's debug dump would print headers.
	}
	switch {
	case auth.token != "":
		cfg.APIKey = auth.token
	case auth.user != "":
		cfg.BasicAuth = url.UserPassword(auth.user, auth.password)
	default:
		return nil, errors.New("grafana: no credentials")
	}
	return &client{api: goapi.NewHTTPClientWithConfig(nil, cfg)}, nil
}

func (c *client) DatasourceExists(ctx context.Context, uid string) (bool, error) {
	_, err := c.api.Datasources.GetDataSourceByUIDWithParams(
		datasources.NewGetDataSourceByUIDParamsWithContext(ctx).WithUID(uid))
	var nf *datasources.GetDataSourceByUIDNotFound
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &nf):
		return false, nil
	}
	return false, fmt.Errorf("grafana: get datasource %s: %w", uid, err)
}

func (c *client) CreateDatasource(ctx context.Context, ds Datasource) error {
	_, err := c.api.Datasources.AddDataSourceWithParams(
		datasources.NewAddDataSourceParamsWithContext(ctx).WithBody(&models.AddDataSourceCommand{
			UID: ds.UID, Name: ds.Name, Type: "prometheus", Access: "proxy", URL: ds.URL, IsDefault: ds.IsDefault,
			JSONData: map[string]any{"timeInterval": "15s"},
		}))
	if err != nil {
		return fmt.Errorf("grafana: create datasource %s: %w", ds.UID, err)
	}
	return nil
}

func (c *client) UpdateDatasource(ctx context.Context, ds Datasource) error {
	_, err := c.api.Datasources.UpdateDataSourceByUIDWithParams(
		datasources.NewUpdateDataSourceByUIDParamsWithContext(ctx).WithUID(ds.UID).WithBody(&models.UpdateDataSourceCommand{
			UID: ds.UID, Name: ds.Name, Type: "prometheus", Access: "proxy", URL: ds.URL, IsDefault: ds.IsDefault,
			JSONData: map[string]any{"timeInterval": "15s"},
		}))
	if err != nil {
		return fmt.Errorf("grafana: update datasource %s: %w", ds.UID, err)
	}
	return nil
}

func (c *client) SaveDashboard(ctx context.Context, model map[string]any, message string) (int64, error) {
	resp, err := c.api.Dashboards.PostDashboardWithParams(
		dashboards.NewPostDashboardParamsWithContext(ctx).WithBody(&models.SaveDashboardCommand{
			Dashboard: model, Overwrite: true, Message: message,
		}))
	if err != nil {
		return 0, fmt.Errorf("grafana: save dashboard %v: %w", model["uid"], err)
	}
	if p := resp.GetPayload(); p != nil && p.Version != nil {
		return *p.Version, nil
	}
	return 0, nil
}
