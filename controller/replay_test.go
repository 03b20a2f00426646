package controller

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// TestReplayOVSCapture decodes the bytes Open vSwitch 3.1 sent in
// TestOVSCapture, so the decoders are checked against a real switch even
// where OVS cannot run.
func TestReplayOVSCapture(t *testing.T) {
	raw, err := os.ReadFile(captureFile)
	if err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader(bytes.NewReader(raw))
	seen := map[string]int{}
	for {
		h, body, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != wire.Version {
			t.Fatalf("%s with version %d", h.Type, h.Version)
		}
		switch h.Type {
		case wire.TypeHello:
			hello, err := wire.DecodeHello(body)
			if err != nil || !hello.HasBitmap || !wire.Negotiate(h.Version, hello) {
				t.Errorf("OVS hello %x: %+v, %v", body, hello, err)
			}
			seen["hello"]++
		case wire.TypeFeaturesReply:
			f, err := wire.DecodeFeatures(body)
			if err != nil || f.DatapathID != dpid1 || f.NumTables != 254 {
				t.Errorf("features %+v, %v", f, err)
			}
			seen["features"]++
		case wire.TypeError:
			e, err := wire.DecodeError(body)
			if err != nil || !errors.Is(e, &of13.Error{Type: of13.ErrBadMatch, Code: of13.CodeBadMatchPrereq}) || len(e.Data) < 64 {
				t.Errorf("error %v (data %d bytes), %v", e, len(e.Data), err)
			}
			seen["error"]++
		case wire.TypeMultipartReply:
			mp, err := wire.DecodeMultipartReply(body)
			if err != nil {
				t.Fatal(err)
			}
			replayMultipart(t, mp, seen)
		}
	}
	for _, k := range []string{"hello", "features", "error", "port-desc", "flow", "meter-config", "group-desc", "desc"} {
		if seen[k] != 1 {
			t.Errorf("capture has %d %s messages, want 1", seen[k], k)
		}
	}
}

func replayMultipart(t *testing.T, mp wire.MultipartReply, seen map[string]int) {
	t.Helper()
	switch mp.Type {
	case wire.MPPortDesc:
		ps, err := wire.DecodePorts(mp.Body)
		if err != nil || len(ps) != 1 || ps[0].No != of13.PortLocal || ps[0].Name == "" || len(ps[0].HWAddr) != 6 {
			t.Errorf("port-desc %+v, %v", ps, err)
		}
		seen["port-desc"]++
	case wire.MPFlow:
		fs, err := wire.DecodeFlowStats(mp.Body)
		if err != nil {
			t.Fatal(err)
		}
		flows := make([]of13.Flow, len(fs))
		for i := range fs {
			flows[i] = fs[i].Flow
		}
		assertSameFlows(t, "captured flow-stats", sampleFlows(), flows)
		seen["flow"]++
	case wire.MPMeterConfig:
		ms, err := wire.DecodeMeterConfig(mp.Body)
		want := sampleMeter()
		if err != nil || len(ms) != 1 || !ms[0].Equal(&want.Meter) {
			t.Errorf("meter config %+v, %v", ms, err)
		}
		seen["meter-config"]++
	case wire.MPGroupDesc:
		gs, err := wire.DecodeGroupDesc(mp.Body)
		want := sampleGroup()
		if err != nil || len(gs) != 1 || !gs[0].Equal(&want.Group) {
			t.Errorf("group desc %+v, %v", gs, err)
		}
		seen["group-desc"]++
	case wire.MPDesc:
		d, err := wire.DecodeDesc(mp.Body)
		if err != nil || d.Manufacturer != "Nicira, Inc." {
			t.Errorf("desc %+v, %v", d, err)
		}
		seen["desc"]++
	}
}
