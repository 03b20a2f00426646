// Package dashboards holds voipsdn's Grafana dashboards (voipsdn/*.json)
// and Faucet's three (faucet/*.json, unchanged), embedded in the binary so
// `voipsdn dashboards push` needs no files at run time, and the Grafana
// provisioning files (provisioning/) that show them in a Grafana started
// with them.
//
// Our dashboards pick their datasource through a "datasource" template
// variable. Faucet's use the export input ${DS_PROMETHEUS}, which Grafana
// resolves only on import; ResolveDatasource points them at a datasource
// UID instead, for push and for the provisioned copies.
//
// The package has no mutable state; all functions are safe for concurrent use.
package dashboards
