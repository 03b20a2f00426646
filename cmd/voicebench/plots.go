package main

import (
	"fmt"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/voipsdn/voipsdn/internal/voicequality"
)

// figure is one written plot: its file (relative to the report) and caption.
type figure struct{ path, caption string }

// upSeries merges the upstream streams of r interval by interval: loss is
// all their lost packets over all expected, jitter and delay the worst
// stream's.
func upSeries(r voicequality.Result) (loss, jitter, delay plotter.XYs) {
	type agg struct {
		exp, rcv   int
		jit, delay float64
	}
	byAt := map[float64]*agg{}
	var order []float64
	for _, s := range r.Streams {
		if s.Dir != voicequality.Up {
			continue
		}
		for _, p := range s.Series {
			at := p.At.Seconds()
			a := byAt[at]
			if a == nil {
				a = &agg{}
				byAt[at] = a
				order = append(order, at)
			}
			a.exp += p.Expected
			a.rcv += p.Received
			a.jit = max(a.jit, ms(p.Jitter))
			a.delay = max(a.delay, ms(p.Delay))
		}
	}
	slices.Sort(order)
	for _, at := range order {
		a := byAt[at]
		if a.exp == 0 {
			continue
		}
		l := 100 * float64(max(a.exp-a.rcv, 0)) / float64(a.exp)
		loss = append(loss, plotter.XY{X: at, Y: l})
		jitter = append(jitter, plotter.XY{X: at, Y: a.jit})
		delay = append(delay, plotter.XY{X: at, Y: a.delay})
	}
	return loss, jitter, delay
}

// writePlots writes the time series per load and the MOS bars per codec
// into o.img; rel is o.img as the report links it.
func writePlots(outs []outcome, o options, rel string) ([]figure, error) {
	var figs []figure
	for _, load := range o.loads {
		for i, what := range []string{"loss", "jitter", "delay"} {
			p := plot.New()
			p.Title.Text = fmt.Sprintf("Upstream voice %s at %g%% best-effort load", what, 100*load)
			p.X.Label.Text = "time since the calls started (s)"
			p.Y.Label.Text = []string{"packet loss (%)", "RFC 3550 jitter, worst call (ms)", "one-way delay, worst call (ms)"}[i]
			p.Y.Min = 0
			p.Legend.Top = true
			top := 1.0
			for vi, oc := range outs {
				if oc.load != load || oc.v.pending != "" || oc.err != nil {
					continue
				}
				series := [3]plotter.XYs{}
				series[0], series[1], series[2] = upSeries(oc.res)
				for _, xy := range series[i] {
					top = max(top, xy.Y)
				}
				line, err := plotter.NewLine(series[i])
				if err != nil {
					continue // no points
				}
				line.Color = plotutil.Color(vi % len(variants))
				line.Width = vg.Points(1.5)
				p.Add(line)
				p.Legend.Add(oc.v.title, line)
			}
			p.Y.Max = 1.4 * top // room for the legend above the lines
			name := fmt.Sprintf("voice-%s-%g.png", what, 100*load)
			if err := p.Save(16*vg.Centimeter, 9*vg.Centimeter, filepath.Join(o.img, name)); err != nil {
				return nil, err
			}
			figs = append(figs, figure{path: filepath.Join(rel, name), caption: p.Title.Text})
		}
	}
	for _, c := range []voicequality.Codec{voicequality.G711, voicequality.G729} {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("E-model MOS of the worst %s call (upstream)", codecTitle(c))
		p.Y.Label.Text = "MOS (1 to 4.5)"
		p.Legend.Top, p.Legend.Left = true, true
		var names []string
		for _, l := range o.loads {
			names = append(names, fmt.Sprintf("%g%% load", 100*l))
		}
		w := vg.Points(18)
		run := 0
		for vi, v := range variants {
			if v.pending != "" {
				continue
			}
			vals := make(plotter.Values, len(o.loads))
			for li, l := range o.loads {
				vals[li] = 1
				for _, oc := range outs {
					if oc.v.key == v.key && oc.load == l && oc.err == nil {
						if s, n := oc.res.Worst(c, voicequality.Up); n > 0 {
							vals[li] = s.Stats.MOS
						}
					}
				}
			}
			bars, err := plotter.NewBarChart(vals, w)
			if err != nil {
				return nil, err
			}
			bars.Color = plotutil.Color(vi)
			bars.LineStyle.Width = 0
			bars.Offset = vg.Length(run-1) * w
			run++
			p.Add(bars)
			p.Legend.Add(v.title, bars)
		}
		p.NominalX(names...)
		p.X.Min, p.X.Max = -0.6, float64(len(o.loads))-0.4
		p.Y.Min, p.Y.Max = 0, 6 // the legend sits above 4.5
		name := fmt.Sprintf("voice-mos-%s.png", c.Name)
		if err := p.Save(16*vg.Centimeter, 9*vg.Centimeter, filepath.Join(o.img, name)); err != nil {
			return nil, err
		}
		figs = append(figs, figure{path: filepath.Join(rel, name), caption: p.Title.Text})
	}
	return figs, nil
}

func codecTitle(c voicequality.Codec) string {
	if c.Name == voicequality.G729.Name {
		return "G.729"
	}
	return "G.711"
}
