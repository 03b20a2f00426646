package controller

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
)

// FuzzDecode feeds arbitrary bytes, as a stream from a switch, to the
// session's message handling and to every reply decoder. Nothing may
// panic; malformed input must end in an error. The seeds (every message
// of the OVS capture plus known-bad shapes) run as a normal test.
func FuzzDecode(f *testing.F) {
	raw, err := os.ReadFile(captureFile)
	if err != nil {
		f.Fatal(err)
	}
	r := wire.NewReader(bytes.NewReader(raw))
	for {
		h, body, err := r.Next()
		if err != nil {
			break
		}
		f.Add(msg(h.Version, h.Type, h.XID, body))
	}
	f.Add(raw)
	f.Add([]byte{4, 2, 0, 4, 0, 0, 0, 1})
	f.Add(msg(4, wire.TypePacketIn, 0, append(make([]byte, 16), 0, 1, 0x40, 0)))
	f.Add(multipartReply(1, wire.MPFlow, 1, []byte{0xff, 0xff, 0, 0}))
	f.Add(multipartReply(2, wire.MPMeterConfig, 0, []byte{0, 24, 0, 1, 0, 0, 0, 1, 0, 1, 0, 16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}))
	f.Add(multipartReply(3, wire.MPGroupDesc, 0, []byte{0, 8, 0, 0, 0, 0, 0, 1}))

	f.Fuzz(func(t *testing.T, data []byte) {
		srv := &Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), sentRing: 16, QueueChunks: 1}
		sw := srv.newSwitch(context.Background(), nil, srv.Logger, featuresForFuzz())
		defer sw.cancel(nil)
		for _, mp := range []uint16{wire.MPFlow, wire.MPMeterConfig, wire.MPGroupDesc, wire.MPPortDesc, wire.MPMeter, wire.MPPortStats} {
			sw.track.await(&waiter{want: wire.TypeMultipartReply, mpType: mp, done: make(chan struct{})})
		}
		sw.track.await(&waiter{want: wire.TypeBarrierReply, done: make(chan struct{})})
		r := wire.NewReader(bytes.NewReader(data))
		for {
			h, body, err := r.Next()
			if err != nil {
				return
			}
			decodeAll(body)
			if mp, err := wire.DecodeMultipartReply(body); err == nil {
				decodeAll(mp.Body)
			}
			if err := sw.handle(h, body); err != nil {
				return
			}
		}
	})
}

func decodeAll(b []byte) {
	wire.DecodeHello(b)
	wire.DecodeFeatures(b)
	wire.DecodePorts(b)
	wire.DecodePortStatus(b)
	wire.DecodeError(b)
	wire.DecodePacketIn(b)
	wire.DecodeFlowRemoved(b)
	wire.DecodeFlowStats(b)
	wire.DecodePortStats(b)
	wire.DecodeTableStats(b)
	wire.DecodeMeterConfig(b)
	wire.DecodeMeterStats(b)
	wire.DecodeGroupDesc(b)
	wire.DecodeDesc(b)
}
