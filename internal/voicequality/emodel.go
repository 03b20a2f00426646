package voicequality

import (
	"math"
	"time"
)

// The E-model of ITU-T G.107 (06/2015), reduced to the two impairments a
// network causes: delay (Id) and packet loss (Ie,eff). Every other input
// takes its G.107 default (Table 3), under which the basic signal-to-noise
// ratio less the simultaneous impairments, R0 - Is, is 93.2; the talker
// echo terms (Idte, Idle) are left out as monitoring tools do, which
// assumes working echo cancellation.

// RDefault is R with every G.107 parameter at its default value.
const RDefault = 93.2

// Idd is G.107's impairment for absolute one-way delay Ta (equation
// 7-28): zero up to 100 ms, then growing with log2(Ta/100 ms).
func Idd(ta time.Duration) float64 {
	ms := float64(ta) / float64(time.Millisecond)
	if ms <= 100 {
		return 0
	}
	x := math.Log2(ms / 100)
	return 25 * (math.Pow(1+math.Pow(x, 6), 1.0/6) - 3*math.Pow(1+math.Pow(x/3, 6), 1.0/6) + 2)
}

// IeEff is the effective equipment impairment for packet loss ratio loss
// (0..1) with random loss, BurstR = 1 (equation 7-29).
func IeEff(c Codec, loss float64) float64 {
	ppl := 100 * min(max(loss, 0), 1)
	return c.Ie + (95-c.Ie)*ppl/(ppl+c.Bpl)
}

// Rate is the R factor for a call of codec c with mouth-to-ear delay ta
// and packet loss ratio loss. The advantage factor A is 0 (wired).
func Rate(c Codec, ta time.Duration, loss float64) float64 {
	return RDefault - Idd(ta) - IeEff(c, loss)
}

// MOS is the conversational quality estimate for R (G.107 Annex B,
// equation B-4). The polynomial dips just below 1 for R under about 6.5;
// MOS has no value below 1, so it is held there.
func MOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return max(1, 1+0.035*r+r*(r-60)*(100-r)*7e-6)
}

// MouthToEar estimates the E-model's Ta from a stream's network delay and
// jitter: packetisation (one packet time), the codec's look-ahead, the
// network's mean one-way delay, and a jitter buffer of twice the jitter
// (at least one packet time), as a phone's adaptive buffer would hold.
func MouthToEar(c Codec, network, jitter time.Duration) time.Duration {
	return c.Ptime + c.Lookahead + network + max(2*jitter, c.Ptime)
}
