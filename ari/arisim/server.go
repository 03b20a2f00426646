package arisim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// clientQueue bounds the frames waiting for one slow client; past it the
// client is disconnected, as Asterisk drops a WebSocket it cannot write to.
const clientQueue = 1024

// Server serves ARI for one recording.
type Server struct {
	rec            *Recording
	user, password string

	mu      sync.Mutex
	pbx     *pbx
	pos     int
	clients map[*client]struct{}
	joined  chan struct{} // closed and replaced when a client connects
	closed  bool
	down    bool
	wg      sync.WaitGroup
}

type client struct {
	app  string
	out  chan []byte
	stop context.CancelFunc
}

// New returns a Server that replays rec to clients authenticating with
// user and password (HTTP Basic, or api_key=user:password as Asterisk
// also accepts).
func New(rec *Recording, user, password string) *Server {
	return &Server{
		rec: rec, user: user, password: password, pbx: newPBX(),
		clients: map[*client]struct{}{}, joined: make(chan struct{}),
	}
}

// Len is the number of frames; Pos how many were played.
func (s *Server) Len() int { return len(s.rec.Frames) }

// Pos returns how many frames were played.
func (s *Server) Pos() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos
}

// Play plays the next n frames (fewer at the end): the PBX state moves on
// and every connected client is sent them.
func (s *Server) Play(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ; n > 0 && s.pos < len(s.rec.Frames); n-- {
		f := s.rec.Frames[s.pos]
		s.pos++
		s.pbx.apply(f.Data)
		for c := range s.clients {
			// With subscribeAll Asterisk names the receiving application.
			data := bytes.Replace(f.Data, []byte(`"application":"qosdemo"`), []byte(`"application":`+strconv.Quote(c.app)), 1)
			select {
			case c.out <- data:
			default:
				c.stop()
				delete(s.clients, c)
			}
		}
	}
}

// PlayUntil plays frames up to and including the first whose text holds
// substr; it returns false when none does.
func (s *Server) PlayUntil(substr string) bool {
	for s.Pos() < s.Len() {
		f := s.rec.Frames[s.Pos()]
		s.Play(1)
		if strings.Contains(string(f.Data), substr) {
			return true
		}
	}
	return false
}

// Clients returns the number of connected event clients.
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Joined returns a channel closed when the next client connects.
func (s *Server) Joined() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.joined
}

// Drop disconnects every event client (as an Asterisk restart would,
// without losing the calls).
func (s *Server) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		c.stop()
		delete(s.clients, c)
	}
}

// SetDown makes /ari/events refuse new clients (503) while down, as a PBX
// that is restarting does; Drop disconnects the ones connected.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Close disconnects the clients and waits for their writers.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.Drop()
	s.wg.Wait()
}

func (s *Server) authorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.user && p == s.password
	}
	return r.URL.Query().Get("api_key") == s.user+":"+s.password
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Asterisk/22.10.1")
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Authentication required"})
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/ari/")
	if path == "events" {
		s.serveEvents(w, r)
		return
	}
	if r.Method == http.MethodPost && strings.HasPrefix(path, "bridges/") && strings.HasSuffix(path, "/addChannel") {
		s.addChannel(w, strings.TrimSuffix(strings.TrimPrefix(path, "bridges/"), "/addChannel"), r.URL.Query().Get("channel"))
		return
	}
	if r.Method != http.MethodGet {
		// voipsdn only reads; of the rest only addChannel's checks are
		// simulated.
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "not simulated"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case path == "channels":
		out := make([]json.RawMessage, 0, len(s.pbx.order))
		for _, id := range s.pbx.order {
			out = append(out, s.pbx.channels[id])
		}
		writeJSON(w, http.StatusOK, out)
	case path == "bridges":
		out := make([]map[string]json.RawMessage, 0, len(s.pbx.bridgeQ))
		for _, id := range s.pbx.bridgeQ {
			b := s.pbx.bridges[id]
			chans, _ := json.Marshal(b.channels)
			raw := map[string]json.RawMessage{}
			for k, v := range b.raw {
				raw[k] = v
			}
			raw["channels"] = chans
			out = append(out, raw)
		}
		writeJSON(w, http.StatusOK, out)
	case strings.HasPrefix(path, "channels/") && strings.HasSuffix(path, "/variable"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "channels/"), "/variable")
		name := r.URL.Query().Get("variable")
		if name == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Variable name is required"})
			return
		}
		v, status, msg := s.pbx.variable(s.rec, id, name)
		if status != http.StatusOK {
			writeJSON(w, status, map[string]string{"message": msg})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"value": v})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	// Asterisk's spelling.
	w.Header()["Content-type"] = []string{"application/json"}
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	app := r.URL.Query().Get("app")
	if app == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Missing required param app"})
		return
	}
	s.mu.Lock()
	if s.closed || s.down {
		s.mu.Unlock()
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	c := &client{app: app, out: make(chan []byte, clientQueue), stop: cancel}
	s.mu.Lock()
	s.clients[c] = struct{}{}
	close(s.joined)
	s.joined = make(chan struct{})
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}()
	// Drain what the client sends (nothing but control frames).
	ctx = conn.CloseRead(ctx)
	for {
		select {
		case f := <-c.out:
			if err := conn.Write(ctx, websocket.MessageText, f); err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// Variable answers a channel variable as GET
// /ari/channels/{id}/variable would now: the value, or the HTTP status
// and Asterisk's message. Replays use it to answer without HTTP.
func (s *Server) Variable(id, name string) (value string, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pbx.variable(s.rec, id, name)
}

// addChannel answers POST /ari/bridges/{id}/addChannel as Asterisk did in
// the recordings: 204, or 422 "Channel not in Stasis application" for a
// channel whose StasisStart has not come yet, as an externalMedia channel
// added right after its creation (recording 04). The state does not
// change: the recording's events say what the PBX did.
func (s *Server) addChannel(w http.ResponseWriter, bridgeID, channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pbx.bridges[bridgeID]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Bridge not found"})
		return
	}
	if _, ok := s.pbx.channels[channel]; !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Channel not found"})
		return
	}
	if !s.pbx.stasis[channel] {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Channel not in Stasis application"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
