package controller

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// BenchmarkSendFlowMods measures the session layer alone: encoding,
// queueing and writing flow-mods to a loopback peer that discards them.
func BenchmarkSendFlowMods(b *testing.B) {
	rec := newRecorder()
	srv := &Server{Handler: rec}
	addr, _ := testServer(b, srv, "")
	f := dialFake(b, addr)
	f.handshake(7)
	var sw *Switch
	select {
	case sw = <-rec.sws:
	case <-time.After(5 * time.Second):
		b.Fatal("no session")
	}
	f.conn.SetDeadline(time.Time{})
	go io.Copy(io.Discard, f.conn)
	flows := benchFlows(1000)
	msgs := make([]of13.Message, len(flows))
	for i := range flows {
		msgs[i] = &of13.FlowMod{Command: of13.FlowAdd, Flow: flows[i]}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := sw.Send(ctx, msgs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(msgs))*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}
