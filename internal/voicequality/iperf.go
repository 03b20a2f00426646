package voicequality

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"time"
)

// BestEffort is what one iperf3 client carried.
type BestEffort struct {
	Proto string // "udp" or "tcp"
	// OfferedMbit is the rate the client was asked for.
	OfferedMbit float64
	// ReceivedMbit is the receiver's throughput.
	ReceivedMbit float64
	// LostPercent is UDP's datagram loss (TCP: 0, it retransmits).
	LostPercent float64
	Err         string `json:",omitempty"`
}

// iperfClient runs one iperf3 client inside network namespace ns until it
// ends (after d) or ctx ends.
func iperfClient(ctx context.Context, ns, server string, port int, udp bool, mbit float64, d time.Duration) BestEffort {
	be := BestEffort{Proto: "tcp", OfferedMbit: mbit}
	args := []string{"netns", "exec", ns, "iperf3", "-J", "-c", server, "-p", strconv.Itoa(port),
		"-b", strconv.FormatFloat(mbit, 'f', 3, 64) + "M", "-t", strconv.Itoa(int(d.Seconds()))}
	if udp {
		be.Proto = "udp"
		args = append(args, "-u", "-l", "1400")
	}
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.WaitDelay = 2 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var rep struct {
		End struct {
			Sum struct {
				BitsPerSecond float64 `json:"bits_per_second"`
				LostPercent   float64 `json:"lost_percent"`
			} `json:"sum"`
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		be.Err = fmt.Sprintf("iperf3: %v (%v)", err, jerr)
		return be
	}
	if rep.Error != "" {
		be.Err = rep.Error
	}
	if udp {
		be.ReceivedMbit = rep.End.Sum.BitsPerSecond * (1 - rep.End.Sum.LostPercent/100) / 1e6
		be.LostPercent = rep.End.Sum.LostPercent
	} else {
		be.ReceivedMbit = rep.End.SumReceived.BitsPerSecond / 1e6
	}
	return be
}

// iperfServer starts an iperf3 server in ns on port; it runs until ctx
// ends, and the returned wait reaps it.
func iperfServer(ctx context.Context, ns string, port int) (wait func(), err error) {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "iperf3", "-s", "-p", strconv.Itoa(port))
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("iperf3 server: %w", err)
	}
	return func() { _ = cmd.Wait() }, nil
}
