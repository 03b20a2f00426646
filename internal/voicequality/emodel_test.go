package voicequality

import (
	"math"
	"testing"
	"time"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f (±%g)", what, got, want, tol)
	}
}

// G.107: with every parameter at its default, R = 93.2, and G.711 adds no
// equipment impairment, so a clean, short G.711 call rates 93.2, MOS 4.41.
func TestRDefaultForCleanG711(t *testing.T) {
	r := Rate(G711, 50*time.Millisecond, 0)
	near(t, "R", r, 93.2, 1e-9)
	near(t, "MOS", MOS(r), 4.41, 0.005)
}

// MOS at the borders of G.107's user satisfaction categories (R 90, 80,
// 70, 60, 50), from equation B-4: e.g. R 80 gives 1 + 2.8 + 80*20*20*7e-6.
func TestMOSAtCategoryBorders(t *testing.T) {
	for _, c := range []struct{ r, mos float64 }{
		{90, 4.339}, {80, 4.024}, {70, 3.597}, {60, 3.1}, {50, 2.575},
	} {
		near(t, "MOS", MOS(c.r), c.mos, 1e-9)
	}
	near(t, "MOS(-5)", MOS(-5), 1, 0)
	near(t, "MOS(3)", MOS(3), 1, 0) // the polynomial gives 0.989
	near(t, "MOS(120)", MOS(120), 4.5, 0)
}

// Idd is zero up to 100 ms; at 400 ms, X = log2(4) = 2 and equation 7-28
// gives 25((1+2^6)^(1/6) - 3(1+(2/3)^6)^(1/6) + 2) = 24.07.
func TestIddAbsoluteDelay(t *testing.T) {
	near(t, "Idd(100ms)", Idd(100*time.Millisecond), 0, 0)
	near(t, "Idd(150ms)", Idd(150*time.Millisecond), 0.16, 0.005)
	near(t, "Idd(400ms)", Idd(400*time.Millisecond), 24.07, 0.005)
	if Idd(300*time.Millisecond) <= Idd(200*time.Millisecond) {
		t.Error("Idd must grow with delay")
	}
}

// Ie,eff = Ie + (95 - Ie) Ppl/(Ppl + Bpl) with the G.113 Appendix I
// factors: G.711 with PLC at 1% random loss loses 95/26.1 = 3.64; G.729A
// starts at Ie = 11 (R 82.2, the figure usually quoted for it).
func TestIeEffFromG113Factors(t *testing.T) {
	near(t, "G.711 1%", IeEff(G711, 0.01), 95.0/26.1, 1e-9)
	near(t, "G.729 0%", IeEff(G729, 0), 11, 1e-9)
	near(t, "G.729 R", Rate(G729, 80*time.Millisecond, 0), 82.2, 1e-9)
	near(t, "G.729 2%", IeEff(G729, 0.02), 11+84*2/21.0, 1e-9)
	near(t, "G.711 100%", IeEff(G711, 1), 95*100/125.1, 1e-9)
}

func TestMouthToEar(t *testing.T) {
	// 20 ms packet + 5 ms look-ahead + 30 ms network + 2 x 15 ms buffer.
	if got := MouthToEar(G729, 30*time.Millisecond, 15*time.Millisecond); got != 85*time.Millisecond {
		t.Errorf("G.729: %v", got)
	}
	// The buffer holds at least one packet.
	if got := MouthToEar(G711, time.Millisecond, 0); got != 41*time.Millisecond {
		t.Errorf("G.711: %v", got)
	}
}
