package ovslab_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// Outside tests (the demo program): Start, build, Close. Not run by go test
// (no Output comment), but compiled.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lab, err := ovslab.Start(ctx, ovslab.Options{Logf: log.Printf})
	if err != nil {
		log.Fatal(err)
	}
	defer lab.Close()
	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController("tcp:127.0.0.1:6653")); err != nil {
		log.Fatal(err)
	}
	phone, err := lab.AddHost(ovslab.HostSpec{Name: "phone1", Bridge: "sw1", OFPort: 1, Addrs: []string{"10.0.0.11/24"}})
	if err != nil {
		log.Fatal(err)
	}
	pbx, err := lab.AddTaggedHost(ovslab.HostSpec{Name: "pbx", Bridge: "sw1", OFPort: 2, Addrs: []string{"10.0.0.2/24"}}, 100)
	if err != nil {
		log.Fatal(err)
	}
	if err := lab.WaitConnected(ctx, "sw1"); err != nil {
		log.Fatal(err)
	}
	rx, err := pbx.ReceiveUDP(":10000")
	if err != nil {
		log.Fatal(err)
	}
	// Two seconds of G.711-like RTP: 50 packets/s of 172 bytes.
	if _, err := phone.SendUDPStream(ctx, ovslab.Stream{Dst: "10.0.0.2:10000", SrcPort: 10000, Duration: 2 * time.Second}); err != nil {
		log.Fatal(err)
	}
	st := rx.Stats()
	fmt.Printf("%d packets, %d with DSCP 46, %.0f pps\n", st.Packets, st.DSCP[46], st.Rate())
}
