package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/qos"
)

// connectivity shows that learning works on the voice VLAN and that the
// data VLAN is separate.
func connectivity(ctx context.Context, lab *ovslab.Lab, out io.Writer) error {
	say(out, "Checking connectivity (hosts are learned from their first packets)")
	for _, p := range [][2]string{{"phone201", pbxAddr}, {"phone202", pbxAddr}, {"phone201", "10.0.100.202"}} {
		waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := lab.Host(p[0]).WaitPing(waitCtx, p[1])
		cancel()
		if err != nil {
			return fmt.Errorf("%s cannot reach %s on the voice VLAN: %w", p[0], p[1], err)
		}
		fmt.Fprintf(out, "  %-9s -> %-13s ok\n", p[0], p[1])
	}
	st, _ := lab.Host("pc").Ping(ctx, "10.0.100.201", 2)
	fmt.Fprintf(out, "  %-9s -> %-13s %d/2 replies (the data VLAN is separate)\n", "pc", "10.0.100.201", st.Received)
	return nil
}

// stream is one direction of RTP between a phone and the PBX.
type stream struct {
	label string
	rx    *ovslab.Receiver
}

// directPort is the phones' RTP port in the direct-media call.
const directPort = 30000

// placeCalls places calls from 201 to 202 through the PBX, and one whose
// media goes phone to phone once bridged (pjsip direct_media), sends RTP on
// every leg as soon as its media addresses are known (learned over AMI, as
// voipsdn learns them), and shows the per-call flows and the DSCP marks.
func placeCalls(ctx context.Context, o options, lab *ovslab.Lab, sim *amisim.Server, secret string, out io.Writer) error {
	say(out, "Placing %d calls from phone 201 to phone 202 through the PBX, and one with direct media", o.calls)
	media := make(chan tracker.MediaKnown, 64)
	ended := make(chan string, 64)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if err := watch(watchCtx, o, secret, func(ev tracker.Event) {
		switch e := ev.(type) {
		case tracker.MediaKnown:
			media <- e
		case tracker.CallEnded:
			ended <- e.Call
		}
	}); err != nil {
		return err
	}

	var mu sync.Mutex
	var streams []stream
	var wg sync.WaitGroup
	defer wg.Wait()
	sendCtx, stopSend := context.WithCancel(ctx)
	defer stopSend()
	// endpoint opens an RTP endpoint at addr: one socket that both sends
	// to peer and counts what arrives, as a phone or the PBX does.
	endpoint := func(addr, peer netip.AddrPort, label string, dur time.Duration) {
		rx, err := hostFor(lab, addr.Addr()).ReceiveUDP(addr.String())
		if err != nil {
			fmt.Fprintf(out, "  %s: %v\n", label, err)
			return
		}
		mu.Lock()
		streams = append(streams, stream{label: label, rx: rx})
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			rx.SendStream(sendCtx, ovslab.Stream{Dst: peer.String(), Duration: dur}) //nolint:errcheck
		}()
	}

	for i := 0; i < o.calls; i++ {
		port := uint16(20000 + 10*i)
		_, err := sim.PlaceCall(amisim.CallSpec{
			From: "201", To: "202", Codec: "ulaw", AnswerAfter: time.Second, Hold: o.hold,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port),
		})
		if err != nil {
			return fmt.Errorf("placing call %d: %w", i+1, err)
		}
	}
	// The phones' own RTP ports in the direct call are outside the PBX's
	// range, so only its per-call flows can mark them.
	if _, err := sim.PlaceCall(amisim.CallSpec{
		From: "201", To: "202", Codec: "ulaw", AnswerAfter: time.Second, Hold: o.hold, DirectMedia: true,
		FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), directPort),
		ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), directPort),
	}); err != nil {
		return fmt.Errorf("placing the direct media call: %w", err)
	}
	// Traffic between the same hosts that is not a call: it must keep its
	// best-effort marking.
	endpoint(netip.MustParseAddrPort(pbxAddr+":9999"), netip.MustParseAddrPort("10.0.100.201:9999"), "phone201 -> pbx   (not a call, UDP 9999)", o.hold)
	if rx, err := lab.Host("phone201").ReceiveUDP("10.0.100.201:9999"); err == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rx.SendStream(sendCtx, ovslab.Stream{Dst: pbxAddr + ":9999", Duration: o.hold}) //nolint:errcheck
			rx.Close()                                                                      //nolint:errcheck
		}()
	}

	legs := 0
	deadline := time.After(o.hold)
	for legs < 2*o.calls+2 {
		select {
		case m := <-media:
			if m.Remote.Port() == directPort {
				// The direct call is first reported anchored, then, once
				// bridged, phone to phone: each leg names the stream its
				// own phone sends.
				if !m.Direct {
					continue
				}
				legs++
				from, to := hostFor(lab, m.Remote.Addr()).Name, hostFor(lab, m.Local.Addr()).Name
				fmt.Fprintf(out, "  call %s leg %s direct media: %s -> %s\n", m.Call, m.Leg.Channel, m.Remote, m.Local)
				endpoint(m.Local, m.Remote, fmt.Sprintf("%-8s -> %-8s RTP %s (direct)", from, to, m.Local), o.hold-2*time.Second)
				continue
			}
			legs++
			phone := hostFor(lab, m.Remote.Addr()).Name
			fmt.Fprintf(out, "  call %s leg %s answered: %s <-> PBX %s (%s)\n", m.Call, m.Leg.Channel, m.Remote, m.Local, m.Codec)
			dur := o.hold - time.Second
			// What the PBX's endpoint receives came from the phone, and
			// the other way round.
			endpoint(m.Local, m.Remote, fmt.Sprintf("%-8s -> pbx   RTP %s", phone, m.Local), dur)
			endpoint(m.Remote, m.Local, fmt.Sprintf("pbx      -> %-8s RTP %s", phone, m.Remote), dur)
		case <-deadline:
			return fmt.Errorf("only %d of %d call legs reported media in time", legs, 2*o.calls+2)
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	select {
	case <-time.After(o.hold / 2):
	case <-ctx.Done():
		return ctx.Err()
	}
	say(out, "Per-call flows on sw1 while the calls are up (cookie category %#x)", qos.CookieCategory>>48)
	if err := showCallFlows(lab, out); err != nil {
		return err
	}

	for done := 0; done < o.calls+1; {
		select {
		case <-ended:
			done++
		case <-time.After(o.hold + 10*time.Second):
			return fmt.Errorf("calls did not end")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	wg.Wait()
	say(out, "What the receivers saw (DSCP 46 = EF, set by the switch: no sender marks its packets)")
	for _, s := range streams {
		st, _ := s.rx.Close()
		ef := st.DSCP[46]
		pct := 0.0
		if st.Packets > 0 {
			pct = 100 * float64(ef) / float64(st.Packets)
		}
		fmt.Fprintf(out, "  %-48s %4d packets, %5.1f%% DSCP 46\n", s.label, st.Packets, pct)
	}
	fmt.Fprintln(out, "  (direct media is outside the PBX's RTP range: its phone-to-phone flows are installed when")
	fmt.Fprintln(out, "  both legs are bridged, before Asterisk moves the media, so its first packet is already EF)")

	time.Sleep(1500 * time.Millisecond)
	say(out, "Per-call flows on sw1 after the calls ended")
	return showCallFlows(lab, out)
}

func hostFor(lab *ovslab.Lab, a netip.Addr) *ovslab.Host {
	for _, h := range hosts {
		if netip.MustParsePrefix(h.Addrs[0]).Addr() == a {
			return lab.Host(h.Name)
		}
	}
	return lab.Host("pbx")
}

func showCallFlows(lab *ovslab.Lab, out io.Writer) error {
	filter := "cookie=0x" + strconv.FormatUint(qos.CookieCategory, 16) + "/0x" + strconv.FormatUint(qos.CookieCategoryMask, 16)
	flows, err := lab.DumpFlows("sw1", filter)
	if err != nil {
		return err
	}
	if len(flows) == 0 {
		fmt.Fprintln(out, "  none")
	}
	for _, f := range flows {
		fmt.Fprintf(out, "  table=%d priority=%d %s packets=%d\n      actions=%s\n", f.Table, f.Priority, f.MatchString(), f.Packets, f.Actions)
	}
	return nil
}

// watch follows the PBX over AMI with voipsdn's own client and tracker, to
// learn each leg's media addresses the way the controller does.
func watch(ctx context.Context, o options, secret string, emit func(tracker.Event)) error {
	var drv *tracker.Driver
	client, err := ami.NewClient(ami.ServerConfig{
		Name: "pbx", Host: "127.0.0.1", Port: o.amiPort, Username: "voipsdn",
		Secret: ami.NewSecret(secret), Events: []string{"call", "reporting", "system"},
	}, func(d ami.Delivery) { drv.Handle(d) })
	if err != nil {
		return err
	}
	drv = tracker.NewDriver(client, tracker.DriverOptions{Tracker: tracker.Options{Server: "pbx"}}, emit)
	go drv.Run(ctx)    //nolint:errcheck // ends with ctx
	go client.Run(ctx) //nolint:errcheck // ends with ctx
	return nil
}
