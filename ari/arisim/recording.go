package arisim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// Frame is one recorded WebSocket text frame.
type Frame struct {
	T    float64 // seconds since the recording started
	Data []byte  // exactly as Asterisk sent it
}

// Recording is what a .ari.jsonl capture holds that the simulator uses.
type Recording struct {
	Name   string
	Frames []Frame
	// Vars are the channel variables the recorded REST exchanges read
	// successfully (channel id -> variable -> value).
	Vars map[string]map[string]string
}

type line struct {
	T            float64 `json:"t"`
	Dir          string  `json:"dir"`
	Frame        string  `json:"frame"`
	Method       string  `json:"method"`
	Path         string  `json:"path"`
	Query        string  `json:"query"`
	Status       int     `json:"status"`
	ResponseBody string  `json:"response_body"`
}

// Load reads a NAME.ari.jsonl recording.
func Load(path string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rec := &Recording{Name: path, Vars: map[string]map[string]string{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	n := 0
	for sc.Scan() {
		n++
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		switch l.Dir {
		case "event":
			rec.Frames = append(rec.Frames, Frame{T: l.T, Data: []byte(l.Frame)})
		case "rest":
			if l.Method != "GET" || l.Status != 200 || !strings.HasSuffix(l.Path, "/variable") {
				continue
			}
			id := strings.TrimSuffix(strings.TrimPrefix(l.Path, "/ari/channels/"), "/variable")
			q, err := url.ParseQuery(l.Query)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: query: %w", path, n, err)
			}
			var v struct {
				Value string `json:"value"`
			}
			if err := json.Unmarshal([]byte(l.ResponseBody), &v); err != nil {
				return nil, fmt.Errorf("%s:%d: body: %w", path, n, err)
			}
			if rec.Vars[id] == nil {
				rec.Vars[id] = map[string]string{}
			}
			rec.Vars[id][q.Get("variable")] = v.Value
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Frames are written when read; sorting by t is the socket's order.
	return rec, nil
}
