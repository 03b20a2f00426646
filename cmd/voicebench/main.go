// Command voicebench is `make voice-bench`: it runs calls (G.711 and
// G.729, 20 ms) across a 10 Mbit/s bottleneck in the OVS lab under
// best-effort load at 50%, 95% and 150% of the link, once without
// voipsdn's voice QoS, once with voipsdn marking over a FIFO egress, and
// once with voipsdn and a DSCP-honouring egress, and writes a table and
// PNG plots of loss, jitter, delay and E-model MOS to docs/.
//
// It needs root, Open vSwitch and iperf3 (`make deps`).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/internal/voicequality"
)

type options struct {
	duration, warmup time.Duration
	rtcpInterval     time.Duration
	calls            int
	linkMbit         float64
	loads            []float64
	doc, img         string
	verbose          bool
}

func main() {
	var o options
	loads := "0.5,0.95,1.5"
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured media per scenario")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "best-effort load before the calls start")
	flag.DurationVar(&o.rtcpInterval, "rtcp-interval", 5*time.Second, "mean RTCP report interval of the endpoints")
	flag.IntVar(&o.calls, "calls", 4, "simultaneous calls per scenario (half G.711, half G.729)")
	flag.Float64Var(&o.linkMbit, "link", 10, "bottleneck rate, Mbit/s")
	flag.StringVar(&loads, "loads", loads, "best-effort loads, fractions of the link")
	flag.StringVar(&o.doc, "doc", "docs/voice-quality.md", "report to write")
	flag.StringVar(&o.img, "img", "docs/img", "directory for the plots")
	flag.BoolVar(&o.verbose, "v", false, "log the controller's warnings")
	flag.Parse()
	for _, f := range strings.Split(loads, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "voicebench: -loads: %v\n", err)
			os.Exit(2)
		}
		o.loads = append(o.loads, v)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "voicebench:", err)
		os.Exit(1)
	}
}

// variant is one column of the comparison.
type variant struct {
	key, title string
	levers     voicequality.Levers
	// pending: the controller lacks a lever this variant needs; it is
	// listed, not run.
	pending string
}

// variants are compared at every load. The last one budgets the uplink
// for every call but the last (voicequality.Levers.Admission), so one
// call is over budget and proceeds best effort, and polices best effort
// to the link less the admitted voice.
var variants = []variant{
	{key: "none", title: "no voice QoS (plain Faucet)", levers: voicequality.Levers{Egress: voicequality.EgressDSCP}},
	{key: "mark", title: "voipsdn marking, FIFO egress", levers: voicequality.Levers{Voipsdn: true, Egress: voicequality.EgressFIFO}},
	{key: "full", title: "voipsdn + DSCP-honouring egress", levers: voicequality.Levers{Voipsdn: true, Egress: voicequality.EgressDSCP}},
	{key: "cac", title: "+ admission control, best-effort policing",
		levers: voicequality.Levers{Voipsdn: true, Egress: voicequality.EgressDSCP, Admission: true, BEPolicing: true}},
}

// run is one scenario's outcome, or why it did not run.
type outcome struct {
	v    variant
	load float64
	res  voicequality.Result
	err  error
}

func run(ctx context.Context, o options, out io.Writer) error {
	if err := ovslab.Available(); err != nil {
		return fmt.Errorf("%w (run `make deps`)", err)
	}
	var calls []voicequality.Call
	for i := range o.calls {
		c := voicequality.G711
		if i%2 == 1 {
			c = voicequality.G729
		}
		calls = append(calls, voicequality.Call{Codec: c})
	}
	log := slog.New(slog.DiscardHandler)
	if o.verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	started := time.Now()
	var outs []outcome
	for _, load := range o.loads {
		for _, v := range variants {
			oc := outcome{v: v, load: load}
			if v.pending != "" {
				outs = append(outs, oc)
				continue
			}
			s := voicequality.Scenario{Name: fmt.Sprintf("%s-%g", v.key, 100*load), Levers: v.levers,
				LinkMbit: o.linkMbit, Load: load, Calls: calls, Duration: o.duration, Warmup: o.warmup,
				RTCPInterval: o.rtcpInterval}
			fmt.Fprintf(out, "== %s at %g%% load\n", v.title, 100*load)
			oc.res, oc.err = runOne(ctx, s, log, out)
			if oc.err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				fmt.Fprintln(out, "   failed:", oc.err)
			}
			outs = append(outs, oc)
		}
	}
	if err := os.MkdirAll(o.img, 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(o.doc), o.img)
	if err != nil {
		rel = o.img
	}
	plots, err := writePlots(outs, o, rel)
	if err != nil {
		return err
	}
	f, err := os.Create(o.doc)
	if err != nil {
		return err
	}
	writeReport(f, outs, o, plots, time.Since(started))
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s and %d plots in %s\n", o.doc, len(plots), o.img)
	return nil
}

// runOne runs a scenario in a lab of its own, so no flow or queue of one
// scenario can leak into the next.
func runOne(ctx context.Context, s voicequality.Scenario, log *slog.Logger, out io.Writer) (voicequality.Result, error) {
	lab, err := ovslab.Start(ctx, ovslab.Options{})
	if err != nil {
		return voicequality.Result{}, err
	}
	defer lab.Close() //nolint:errcheck // best effort; the next Start cleans leftovers
	res, err := voicequality.Run(ctx, lab, s, voicequality.RunOptions{Logger: log,
		Logf: func(f string, a ...any) { fmt.Fprintf(out, "   "+f+"\n", a...) }})
	if err != nil {
		return res, err
	}
	for _, c := range []voicequality.Codec{voicequality.G711, voicequality.G729} {
		if w, n := res.Worst(c, voicequality.Up); n > 0 {
			st := w.Stats
			fmt.Fprintf(out, "   %-5s worst of %d: loss %.2f%%, jitter %.1f ms, delay %.1f ms, MOS %.2f; RTCP: loss %.2f%%, jitter %.1f ms, RTT %.1f ms (%d reports)\n",
				c.Name, n, 100*st.Loss, ms(st.Jitter), ms(st.DelayMean), st.MOS, 100*w.RTCP.Loss, ms(w.RTCP.Jitter), ms(w.RTCP.RTT), w.RTCP.Reports)
		}
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
