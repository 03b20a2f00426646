package ari

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Body bounds: a variable's answer is tiny; the channel and bridge lists
// grow with the PBX (about 700 bytes a channel).
const (
	maxVarBody  = 64 << 10
	maxListBody = 64 << 20
)

// HTTPError is a REST answer other than 200.
type HTTPError struct {
	Status int
	// Message is Asterisk's {"message": ...}, bounded.
	Message string
}

func (e *HTTPError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("ari: HTTP %d", e.Status)
	}
	return fmt.Sprintf("ari: HTTP %d: %s", e.Status, e.Message)
}

// Client is the read-only REST client. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	cfg     *Config
	hc      *http.Client
	timeout time.Duration
}

// NewClient returns a client for cfg's URL and credentials.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return newClient(&cfg), nil
}

func newClient(cfg *Config) *Client {
	u, _ := url.Parse(strings.TrimSuffix(cfg.URL, "/"))
	return &Client{base: u, cfg: cfg, hc: &http.Client{Timeout: cfg.RequestTimeout}, timeout: cfg.RequestTimeout}
}

// endpoint returns base + /ari/ + path (segments already escaped) + query.
func (c *Client) endpoint(path string, q url.Values) string {
	s := strings.TrimSuffix(c.base.String(), "/") + "/ari/" + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

func (c *Client) get(ctx context.Context, path string, q url.Values, limit int64, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(path, q), nil)
	if err != nil {
		return fmt.Errorf("ari: GET %s: %w", path, err)
	}
	req.SetBasicAuth(c.cfg.Username, c.cfg.Password.Reveal())
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error prints the URL, which holds no credentials.
		return fmt.Errorf("ari: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("ari: GET %s: %w", path, err)
	}
	if int64(len(body)) > limit {
		return fmt.Errorf("ari: GET %s: %w", path, ErrFrameTooLarge)
	}
	if resp.StatusCode != http.StatusOK {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &m)
		if len(m.Message) > 200 {
			m.Message = m.Message[:200]
		}
		return &HTTPError{Status: resp.StatusCode, Message: m.Message}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("ari: GET %s: %w", path, err)
	}
	return nil
}

// Channels is GET /ari/channels.
func (c *Client) Channels(ctx context.Context) ([]Channel, error) {
	var out []Channel
	if err := c.get(ctx, "channels", nil, maxListBody, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Bridges is GET /ari/bridges.
func (c *Client) Bridges(ctx context.Context) ([]Bridge, error) {
	var out []Bridge
	if err := c.get(ctx, "bridges", nil, maxListBody, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Variable is GET /ari/channels/{id}/variable?variable=name.
func (c *Client) Variable(ctx context.Context, channel, name string) (string, error) {
	if channel == "" || len(channel) > maxID {
		return "", errors.New("ari: bad channel id")
	}
	var out struct {
		Value string `json:"value"`
	}
	err := c.get(ctx, "channels/"+url.PathEscape(channel)+"/variable", url.Values{"variable": {name}}, maxVarBody, &out)
	return out.Value, err
}
