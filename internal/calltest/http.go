package calltest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// MaxDuration bounds a test call's hold time.
const MaxDuration = 5 * time.Minute

// maxConcurrent bounds the test calls running at once.
const maxConcurrent = 4

// HTTPRequest is the body of POST /v1/pbx/{name}/calltest.
type HTTPRequest struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Context  string `json:"context,omitempty"`
	Duration string `json:"duration,omitempty"` // Go syntax, default 10s
}

// Handler serves POST /v1/pbx/{name}/calltest: it runs the test and
// answers 200 with the Verdict (whose "ok" says whether the call got its
// QoS), 400 for a bad request, 502 when the call could not be placed,
// 429 when too many tests run.
func (t *Tester) Handler() http.Handler {
	sem := make(chan struct{}, maxConcurrent)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body HTTPRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body); err != nil {
			http.Error(w, "body must be a JSON object: "+err.Error(), http.StatusBadRequest)
			return
		}
		req := Request{Server: r.PathValue("name"), From: body.From, To: body.To, Context: body.Context, Duration: 10 * time.Second}
		if body.Duration != "" {
			d, err := time.ParseDuration(body.Duration)
			if err != nil || d < 0 || d > MaxDuration {
				http.Error(w, "duration: want a Go duration between 0 and "+MaxDuration.String(), http.StatusBadRequest)
				return
			}
			req.Duration = d
		}
		if req.From == "" || req.To == "" {
			http.Error(w, `body needs "from" (a channel, PJSIP/201) and "to" (an extension)`, http.StatusBadRequest)
			return
		}
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		default:
			http.Error(w, "too many test calls running", http.StatusTooManyRequests)
			return
		}
		v, err := t.Run(r.Context(), req)
		if err != nil {
			status := http.StatusBadGateway
			if errors.Is(err, ErrNoServer) {
				status = http.StatusNotFound
			}
			http.Error(w, err.Error(), status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	})
}
