package voicequality

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// Over real UDP between two namespaces (through a standalone OVS bridge,
// which neither loses nor reorders at this rate): every packet sent is
// expected and received, the delay is the path's, small and positive, and
// the time series covers the stream second by second.
func TestEndpointsOverRealUDP(t *testing.T) {
	lab := ovslab.New(t)
	if _, err := lab.AddBridge("br", 1, ovslab.Standalone()); err != nil {
		t.Fatal(err)
	}
	a, err := lab.AddHost(ovslab.HostSpec{Name: "a", Bridge: "br", OFPort: 1, Addrs: []string{"10.9.0.1/24"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := lab.AddHost(ovslab.HostSpec{Name: "b", Bridge: "br", OFPort: 2, Addrs: []string{"10.9.0.2/24"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.WaitPing(ctx, "10.9.0.2"); err != nil {
		t.Fatal(err)
	}
	ca, err := a.ListenUDP("10.9.0.1:30000")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.ListenUDP("10.9.0.2:10000")
	if err != nil {
		t.Fatal(err)
	}
	epoch := time.Now()
	ea := NewEndpoint(ca, G729, epoch, 500*time.Millisecond)
	eb := NewEndpoint(cb, G729, epoch, 500*time.Millisecond)
	defer ea.Close()
	defer eb.Close()
	sc, err := ea.Send(ctx, cb.LocalAddr().(*net.UDPAddr), 2*time.Second)
	if err != nil || sc.Count != 100 {
		t.Fatalf("sent %d: %v", sc.Count, err)
	}
	eb.Expect(sc)
	time.Sleep(200 * time.Millisecond)
	st := eb.Stats()
	if st.Expected != 100 || st.Received != 100 || st.Loss != 0 {
		t.Fatalf("expected %d received %d loss %v", st.Expected, st.Received, st.Loss)
	}
	if st.DelayMean <= 0 || st.DelayMax > 500*time.Millisecond {
		t.Fatalf("delay mean %v max %v", st.DelayMean, st.DelayMax)
	}
	if st.EF != 0 {
		t.Fatalf("%d packets marked EF; nothing marks them here", st.EF)
	}
	// 2 s in 500 ms intervals: four, or five if the first packet left
	// late in its interval; every packet is in one of them.
	ser := eb.Series()
	exp, rcv := 0, 0
	for _, p := range ser {
		exp += p.Expected
		rcv += p.Received
	}
	if len(ser) < 4 || len(ser) > 5 || exp != 100 || rcv != 100 {
		t.Fatalf("series %+v", ser)
	}
	if st := ea.Stats(); st.Received != 0 {
		t.Fatalf("a received %d packets; b sent none", st.Received)
	}
}
