package voicemetrics

// Histogram buckets. Voice quality thresholds (ITU-T G.114 and common VoIP
// practice, as in the dashboards): jitter warn 15 ms / bad 25 ms, loss warn
// 2% / bad 5%, round trip warn 200 ms / bad 500 ms. Each threshold is a
// bucket edge, so histogram_quantile and "fraction above threshold" queries
// are exact at the thresholds.
var (
	installLatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}
	jitterBuckets         = []float64{0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.05, 0.1, 0.25}
	lossBuckets           = []float64{0, 0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1}
	rttBuckets            = []float64{0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2}
)
