// Package grafana pushes voipsdn's Prometheus datasource and dashboards to a
// Grafana server through its HTTP API, idempotently: the datasource is found
// by UID and updated, or created; dashboards are saved by UID with
// overwrite, so a second push updates them (Grafana bumps their version)
// and never duplicates them.
//
// Push works against the small API interface; NewClient implements it with
// github.com/grafana/grafana-openapi-client-go. Credentials (a service
// account token or basic auth) live in Auth, whose printed forms are
// redacted; nothing in this package logs or wraps them into errors.
//
// Values are safe for concurrent use once built; the package has no global
// state.
package grafana
