package config

import (
	"net/netip"
	"slices"
	"time"
)

// VoIP is the top-level `voip:` section.
type VoIP struct {
	// Asterisk servers sorted by name.
	Asterisk []*AsteriskServer `json:"asterisk"`
	QoS      QoS               `json:"qos"`
	// AGI is nil when voipsdn runs no FastAGI server.
	AGI *AGI `json:"agi,omitempty"`
	// LLDPMED are the voice VLANs advertised to phones, by VID.
	LLDPMED []*LLDPMED `json:"lldp_med,omitempty"`
	// Gateway is nil when voipsdn runs no AMI gateway.
	Gateway *Gateway `json:"gateway,omitempty"`
	Pos     Pos      `json:"-"`
}

// AMI authentication methods.
const (
	AuthMD5   = "md5"
	AuthPlain = "plain"
)

// AsteriskServer is one PBX, followed through AMI (Host, Username, ...),
// through ARI (ARI), or both. The secrets themselves are never read here:
// the clients read SecretFile/SecretEnv (AMI) or ARI.PasswordFile/
// PasswordEnv when they connect.
type AsteriskServer struct {
	Name string `json:"name"`
	// AMI: the AMI keys (host, username, secret) are set. false for an
	// ARI-only server, whose AMI fields are then all zero.
	AMI           bool     `json:"ami"`
	Host          string   `json:"host"`
	Port          uint16   `json:"port"`
	Username      string   `json:"username"`
	SecretFile    string   `json:"secret_file,omitempty"`
	SecretEnv     string   `json:"secret_env,omitempty"`
	TLS           bool     `json:"tls"`
	TLSCAFile     string   `json:"tls_ca_file,omitempty"`
	TLSSkipVerify bool     `json:"tls_skip_verify"`
	Auth          string   `json:"auth"`
	Events        []string `json:"events"`
	EventFilter   []string `json:"event_filter,omitempty"`
	// PingInterval between AMI keepalive pings.
	PingInterval time.Duration `json:"ping_interval"`
	// DirectMedia: the server's endpoints may run direct media, so bridged
	// legs are asked where their media went (one Getvar per leg). false
	// saves those actions where every endpoint has direct_media = no.
	DirectMedia bool `json:"direct_media"`
	// MaxCalls and MaxLegs bound the calls and channels the call tracker
	// follows for this server; channels past them are refused (counted in
	// voipsdn_ami_channels_refused_total).
	MaxCalls int `json:"max_calls"`
	MaxLegs  int `json:"max_legs"`
	// ARI is nil when the server is not followed through ARI.
	ARI *AsteriskARI `json:"ari,omitempty"`
	Pos Pos          `json:"-"`
}

// AsteriskARI is the `ari:` key of an Asterisk server: its REST interface
// and events WebSocket.
type AsteriskARI struct {
	// URL is the HTTP base, e.g. http://10.0.100.1:8088 (no /ari suffix).
	URL          string `json:"url"`
	Username     string `json:"username"`
	PasswordFile string `json:"password_file,omitempty"`
	PasswordEnv  string `json:"password_env,omitempty"`
	// App is the Stasis application name voipsdn registers. It must not
	// be the name of an application the PBX runs: Asterisk keeps one
	// WebSocket per application name and would take it from its owner.
	App          string `json:"app"`
	SubscribeAll bool   `json:"subscribe_all"`
	Pos          Pos    `json:"-"`
}

// Pinhole modes.
const (
	PinholeOff    = "off"
	PinholeMark   = "mark"
	PinholeStrict = "strict"
)

// QoS is the `voip.qos` section with defaults filled.
type QoS struct {
	VoiceDSCP      uint8    `json:"voice_dscp"`
	SignallingDSCP uint8    `json:"signalling_dscp"`
	SIPPorts       []uint16 `json:"sip_ports"`
	// Queue is nil when no set_queue action is wanted.
	Queue *uint32 `json:"queue,omitempty"`
	// RTPPortRange is the inclusive [first, last] RTP UDP port range.
	RTPPortRange [2]uint16 `json:"rtp_port_range"`
	// CodecKbps maps a lower-case codec name to its bandwidth in kbit/s.
	CodecKbps       map[string]float64 `json:"codec_kbps"`
	DefaultKbps     float64            `json:"default_kbps"`
	HeadroomPercent float64            `json:"headroom_percent"`
	Pinhole         string             `json:"pinhole"`
	IdleTimeout     time.Duration      `json:"idle_timeout"`
	MaxCalls        int                `json:"max_calls"`
	// PBXAddresses are the PBX media addresses (default: the Asterisk
	// hosts that are IP literals).
	PBXAddresses []netip.Addr `json:"pbx_addresses"`
	// ApplyTo is nil when voice handling applies everywhere.
	ApplyTo *ApplyTo `json:"apply_to,omitempty"`
	// Classes the dialplan may choose for a call, sorted by name.
	Classes []*QoSClass `json:"classes,omitempty"`
	// ClassVariable is the channel variable read (Getvar, when a leg is
	// answered) to classify calls without AGI; "" when off (no classes,
	// or class_variable: false).
	ClassVariable string `json:"class_variable,omitempty"`
	// Trust lists the kinds of port whose DSCP EF is trusted into the
	// voice queue and whose traffic the voice policy leaves alone: stack
	// ports, and trunks (ports with tagged VLANs and no native VLAN, the
	// links to other switches). Default both.
	Trust []string `json:"trust"`
	// RemarkUntrusted re-marks EF to best effort on the other ports,
	// for traffic no per-call or standing flow marked (default true).
	RemarkUntrusted bool `json:"remark_untrusted"`
	// Admission is call admission control and best-effort policing per
	// link (voip.qos.admission); nil when off.
	Admission *Admission `json:"admission,omitempty"`
	Pos       Pos        `json:"-"`
}

// Trusted port kinds (voip.qos.trust).
const (
	TrustStack = "stack"
	TrustTrunk = "trunk"
)

// Trusts reports whether port p of a DP is trusted under q.
func (q *QoS) Trusts(p *Port) bool {
	switch {
	case p.Stack != nil:
		return slices.Contains(q.Trust, TrustStack)
	case p.NativeVLAN == nil && len(p.TaggedVLANs) > 0:
		return slices.Contains(q.Trust, TrustTrunk)
	}
	return false
}

// ApplyTo restricts voice handling. An empty list means "no restriction"
// for that dimension; Ports restricts only the DPs it names.
type ApplyTo struct {
	DPs []string `json:"dps,omitempty"`
	// VLANs by VID.
	VLANs []uint16 `json:"vlans,omitempty"`
	// Ports per DP name, resolved to port numbers.
	Ports map[string][]uint32 `json:"ports,omitempty"`
}

// Applies reports whether voice handling applies to traffic on the given
// DP, VLAN and port.
func (q *QoS) Applies(dp string, vid uint16, port uint32) bool {
	a := q.ApplyTo
	if a == nil {
		return true
	}
	if len(a.DPs) > 0 && !slices.Contains(a.DPs, dp) {
		return false
	}
	if len(a.VLANs) > 0 && !slices.Contains(a.VLANs, vid) {
		return false
	}
	if ports, ok := a.Ports[dp]; ok {
		return slices.Contains(ports, port)
	}
	return true
}

// Kbps returns the bandwidth for a codec (case-insensitive), or
// DefaultKbps when unknown.
func (q *QoS) Kbps(codec string) float64 {
	if v, ok := q.CodecKbps[lower(codec)]; ok {
		return v
	}
	return q.DefaultKbps
}

// MeterKbps is the meter rate for a codec: Kbps * (1 + headroom/100).
func (q *QoS) MeterKbps(codec string) float64 {
	return q.Kbps(codec) * (1 + q.HeadroomPercent/100)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Defaults of the voip.asterisk keys that the AMI client and the call
// tracker also apply on their own (ami.DefaultPingInterval,
// tracker.DefaultMaxCalls). The config package sits below them and does not
// import them; TestAsteriskDefaultsAreTheAMIPackages keeps the two equal.
const (
	DefaultAMIPingInterval = 20 * time.Second
	DefaultMaxCalls        = 10000
)
