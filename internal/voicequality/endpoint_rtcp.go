package voicequality

import (
	"errors"
	"math/rand/v2"
	"net"
	"time"
)

// StartRTCP runs the endpoint's RTCP on conn, its RTP port + 1 as a phone
// without rtcp-mux has it: it reads the peer's reports (RTCP reports
// them) and sends its own to peer about every interval, randomised
// between half and one and a half times it as RFC 3550 section 6.3.1
// asks (a phone's interval is 5 s; a bench may want a shorter one). Each
// report is an SR once the endpoint has sent RTP, else an RR, with a
// block about the stream it receives once something arrived, and an SDES
// CNAME. The endpoint owns conn from now on; Close stops both loops.
// Call it at most once.
func (e *Endpoint) StartRTCP(conn *net.UDPConn, peer *net.UDPAddr, interval time.Duration) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		conn.Close() //nolint:errcheck // nothing to do about it
		return
	}
	e.rtcp, e.rtcpPeer = conn, peer
	e.mu.Unlock()
	e.rtcpWG.Add(2)
	go e.receiveRTCP(conn)
	go e.reportEvery(interval)
}

// receiveRTCP reads the peer's reports until the socket closes; what
// does not parse is dropped.
func (e *Endpoint) receiveRTCP(conn *net.UDPConn) {
	defer e.rtcpWG.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := conn.ReadFromUDP(buf)
		now := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		reports, err := ParseRTCP(buf[:n])
		if err != nil {
			continue
		}
		e.mu.Lock()
		for _, r := range reports {
			if r.Sender != nil {
				e.lastSR, e.lastSRAt = ntpMiddle(r.Sender.NTP), now
			}
			for _, k := range r.Blocks {
				if k.SSRC != e.ssrc {
					continue // about another source
				}
				e.rtcpSt.Reports++
				e.rtcpSt.Last = k
				if rtt, ok := RoundTrip(k, now); ok {
					e.rtcpSt.RTT, e.rtcpSt.HasRTT = rtt, true
				}
			}
		}
		e.mu.Unlock()
	}
}

// reportEvery sends a report about every interval until Close.
func (e *Endpoint) reportEvery(interval time.Duration) {
	defer e.rtcpWG.Done()
	t := time.NewTimer(jittered(interval))
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			_ = e.SendReport() // a lost report is what the network does
			t.Reset(jittered(interval))
		}
	}
}

func jittered(d time.Duration) time.Duration {
	return time.Duration((0.5 + rand.Float64()) * float64(d))
}

// SendReport sends one RTCP report now, as a phone does at hang-up, and
// returns the socket's error. Without StartRTCP it does nothing.
func (e *Endpoint) SendReport() error {
	now := time.Now()
	e.mu.Lock()
	conn, peer := e.rtcp, e.rtcpPeer
	if conn == nil || e.closed {
		e.mu.Unlock()
		return nil
	}
	r := Report{SSRC: e.ssrc}
	if tx := e.tx; tx.started {
		elapsed := now.Sub(tx.start).Seconds() * float64(e.codec.ClockRate)
		r.Sender = &SenderInfo{NTP: NTPTime(now), RTPTime: tx.ts0 + uint32(int64(elapsed)),
			Packets: tx.packets, Octets: tx.octets}
	}
	if k, ok := e.rx.ReportBlock(); ok {
		if !e.lastSRAt.IsZero() {
			k.LSR = e.lastSR
			k.DLSR = uint32(now.Sub(e.lastSRAt) * 65536 / time.Second)
		}
		r.Blocks = []ReportBlock{k}
	}
	e.rtcpSt.Sent++
	e.mu.Unlock()
	_, err := conn.WriteToUDP(MarshalRTCP(make([]byte, 0, 128), r, "voicequality@"+conn.LocalAddr().String()), peer)
	return err
}

// RTCP returns what the peer's reports said of the stream this endpoint
// sends.
func (e *Endpoint) RTCP() RTCPStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.rtcpSt
	if st.Reports > 0 {
		st.reading(e.tx.firstSeq, e.codec.ClockRate)
	}
	return st
}
