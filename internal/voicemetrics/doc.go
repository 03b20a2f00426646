// Package voicemetrics defines voipsdn's own voice metrics (voipsdn_*): calls,
// per-call QoS coverage and fallbacks, QoS install latency, AMI connection
// health and RTCP quality histograms.
//
// It is a leaf package (it imports only client_golang) so that the AMI
// client, the call tracker, the QoS engine and the controller runtime can
// all feed one VoiceMetrics without importing each other; qos in particular
// must not import controller. It is internal because only the voipsdn binary
// wires it.
//
// No label carries a call ID, a phone number or an IP address: series are
// bounded by configuration (AMI server names) and by fixed vocabularies
// (fallback reasons; AMI event names, capped per server). Hot paths only
// bump counters and observe histograms.
//
// A VoiceMetrics is safe for concurrent use. New registers on the registerer
// it is given; nothing touches the default registry.
package voicemetrics
