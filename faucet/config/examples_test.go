package config

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"
)

func TestOurExample(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("..", "..", "examples", "faucet.yaml"))
	if err != nil {
		t.Fatalf("examples/faucet.yaml must be valid:\n%v", err)
	}
	if len(cfg.Files) != 2 {
		t.Errorf("files = %v, want faucet.yaml and its acls.yaml include", cfg.Files)
	}
	if u := cfg.Unsupported(); len(u) != 0 {
		t.Errorf("example uses unsupported features: %v", u)
	}
	dp := cfg.DP("sw1")
	voice, data := dp.VLAN(200), dp.VLAN(100)
	if voice == nil || voice.Name != "voice" || data == nil || data.Name != "data" {
		t.Fatalf("voice/data VLANs missing: %v", dp.VLANs)
	}
	pbx := dp.PortByName("pbx")
	if pbx == nil || pbx.NativeVLAN != voice {
		t.Fatalf("pbx port not on the voice VLAN: %+v", pbx)
	}
	if len(dp.Meters) != 1 || dp.Meters[0].Name != "voice-cap" {
		t.Errorf("meters used on sw1 = %v, want voice-cap", dp.Meters)
	}
	if len(dp.Routers) != 1 {
		t.Errorf("routers = %v", dp.Routers)
	}
	v := cfg.VoIP
	if v == nil || len(v.Asterisk) != 1 {
		t.Fatalf("voip section missing: %+v", v)
	}
	pbx1 := v.Asterisk[0]
	if pbx1.Port != 5038 || pbx1.Auth != AuthMD5 || pbx1.PingInterval != 10*time.Second || !pbx1.DirectMedia {
		t.Errorf("asterisk defaults: %+v", pbx1)
	}
	q := v.QoS
	if q.Kbps("G722") != 87.2 || q.Kbps("opus") != 48 || q.Kbps("g729") != 31.2 || q.Kbps("speex") != 87.2 {
		t.Errorf("codec table: %v default %v", q.CodecKbps, q.DefaultKbps)
	}
	if q.PBXAddresses[0] != netip.MustParseAddr("10.0.200.10") {
		t.Errorf("pbx addresses = %v", q.PBXAddresses)
	}
	if !q.Applies("sw1", 200, 9) || q.Applies("sw1", 100, 1) || q.Applies("sw2", 200, 1) {
		t.Error("apply_to should limit voice handling to sw1's voice VLAN")
	}
}

func TestVoIPDefaults(t *testing.T) {
	cfg := mustLoad(t, minimal+`
voip:
  asterisk:
    pbx1: {host: 10.254.0.1, username: voipsdn, secret_env: VOIPSDN_AMI_SECRET, tls: true}
`)
	s := cfg.VoIP.Asterisk[0]
	if s.Port != 5039 || s.SecretEnv != "VOIPSDN_AMI_SECRET" || len(s.Events) != 3 {
		t.Errorf("asterisk defaults with tls: %+v", s)
	}
	q := cfg.VoIP.QoS
	if q.VoiceDSCP != 46 || q.SignallingDSCP != 24 || q.RTPPortRange != [2]uint16{10000, 20000} ||
		q.Pinhole != PinholeMark || q.IdleTimeout != time.Minute || q.MaxCalls != 10000 || q.Queue != nil {
		t.Errorf("qos defaults: %+v", q)
	}
	if len(q.PBXAddresses) != 1 || q.PBXAddresses[0] != netip.MustParseAddr("10.254.0.1") {
		t.Errorf("pbx_addresses should default to the asterisk hosts that are IPs: %v", q.PBXAddresses)
	}
	if got := q.MeterKbps("g711"); got < 95.9 || got > 96 {
		t.Errorf("meter kbps for g711 = %v, want 87.2*1.1", got)
	}
	if !q.Applies("any", 1, 1) {
		t.Error("no apply_to means everywhere")
	}
}
