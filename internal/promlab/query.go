package promlab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Sample is one element of an instant vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant query. The result must be a vector or a scalar (a
// scalar comes back as one sample without labels).
func (s *Server) Query(ctx context.Context, promql string) ([]Sample, error) {
	u := s.URL + "/api/v1/query?query=" + url.QueryEscape(promql)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("promlab: query %q: %w", promql, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("promlab: query %q: %w: %s", promql, err, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("promlab: query %q: %s", promql, r.Error)
	}
	switch r.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
			return nil, err
		}
		out := make([]Sample, 0, len(vec))
		for _, e := range vec {
			v, err := value(e.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Labels: e.Metric, Value: v})
		}
		return out, nil
	case "scalar":
		var sc [2]any
		if err := json.Unmarshal(r.Data.Result, &sc); err != nil {
			return nil, err
		}
		v, err := value(sc)
		return []Sample{{Value: v}}, err
	}
	return nil, fmt.Errorf("promlab: query %q: result type %s", promql, r.Data.ResultType)
}

func value(pair [2]any) (float64, error) {
	s, ok := pair[1].(string)
	if !ok {
		return 0, fmt.Errorf("promlab: bad sample value %v", pair[1])
	}
	return strconv.ParseFloat(s, 64)
}

// WaitFor polls promql until ok accepts its result or ctx ends. It returns
// the accepted result, or the last result and an error.
func (s *Server) WaitFor(ctx context.Context, promql string, ok func([]Sample) bool) ([]Sample, error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last []Sample
	var lastErr error
	for {
		last, lastErr = s.Query(ctx, promql)
		if lastErr == nil && ok(last) {
			return last, nil
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return last, fmt.Errorf("promlab: waiting for %q: %w (last error: %v)", promql, ctx.Err(), lastErr)
			}
			return last, fmt.Errorf("promlab: waiting for %q: %w (last result: %v)", promql, ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// WaitForSeries polls promql until it returns at least one sample.
func (s *Server) WaitForSeries(ctx context.Context, promql string) ([]Sample, error) {
	return s.WaitFor(ctx, promql, func(r []Sample) bool { return len(r) > 0 })
}
