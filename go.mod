module github.com/voipsdn/voipsdn

go 1.26.0

require (
	github.com/goccy/go-yaml v1.19.2 // indirect
	github.com/grafana/grafana-openapi-client-go v0.0.0-20260724161645-6029e6c64947 // indirect
	github.com/netrack/openflow v0.1.0 // indirect
	github.com/osrg/gobgp/v4 v4.8.0 // indirect
	github.com/prometheus/client_golang v1.25.0 // indirect
)
