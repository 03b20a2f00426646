package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/internal/eventbus"
)

// Record classes a user's read list can name for voipsdn's own records
// on the SSE stream.
const (
	ClassCallEvents = "call_events" // VOIP_CALL records
	ClassNetwork    = "network"     // Faucet's records (L2_LEARN, PORT_CHANGE, ...)
)

// maxActionBody bounds a JSON action.
const maxActionBody = 64 << 10

// sseHeartbeat keeps idle streams (and proxies) alive.
const sseHeartbeat = 15 * time.Second

// HTTPHandler serves the HTTP API: GET /v1/events (server-sent events)
// and POST /v1/pbx/{name}/actions. records, if not nil, adds voipsdn's
// call and network records to the event stream.
func (g *Gateway) HTTPHandler(records *eventbus.Bus) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/events", func(w http.ResponseWriter, r *http.Request) { g.serveEvents(w, r, records) })
	mux.HandleFunc("POST /v1/pbx/{name}/actions", g.serveAction)
	g.upMu.RLock()
	for _, rt := range g.routes {
		mux.Handle(rt.pattern, g.guard(rt))
	}
	g.upMu.RUnlock()
	return mux
}

// ListenAndServeHTTP serves HTTPHandler on cfg.HTTPListen until ctx ends.
func (g *Gateway) ListenAndServeHTTP(ctx context.Context, records *eventbus.Bus) error {
	srv := &http.Server{Addr: g.cfg.HTTPListen, Handler: g.HTTPHandler(records),
		ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	g.log.Info("gateway HTTP listening", "address", g.cfg.HTTPListen)
	var err error
	if g.cfg.TLSCertFile != "" {
		err = srv.ListenAndServeTLS(g.cfg.TLSCertFile, g.cfg.TLSKeyFile)
	} else {
		err = srv.ListenAndServe()
	}
	if err == http.ErrServerClosed {
		return ctx.Err()
	}
	return err
}

// httpUser authenticates a request by bearer token or basic auth.
func (g *Gateway) httpUser(w http.ResponseWriter, r *http.Request) *policy {
	h := r.Header.Get("Authorization")
	var p *policy
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		for _, q := range g.users { // compare with every user: no early exit on a match
			if !q.user.Token.IsZero() && equalSecret(q.user.Token.Reveal(), tok) {
				p = q
			}
		}
	} else if user, pass, ok := r.BasicAuth(); ok {
		p = g.authenticate(user, pass)
	}
	if p == nil {
		g.st.loginFailures.Add(1)
		w.Header().Set("WWW-Authenticate", `Basic realm="voipsdn", Bearer`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	}
	return p
}

// serveAction runs one JSON action: {"Action": "Status", "Channel": ...}.
func (g *Gateway) serveAction(w http.ResponseWriter, r *http.Request) {
	p := g.httpUser(w, r)
	if p == nil {
		return
	}
	var body map[string]any
	dec := json.NewDecoder(io.LimitReader(r.Body, maxActionBody))
	if err := dec.Decode(&body); err != nil {
		http.Error(w, "body must be a JSON object of AMI headers: "+err.Error(), http.StatusBadRequest)
		return
	}
	a := ami.Action{}
	id := ""
	for k, v := range body {
		s, ok := v.(string)
		if !ok {
			if n, isNum := v.(float64); isNum {
				s = fmt.Sprint(n)
			} else {
				http.Error(w, fmt.Sprintf("header %q must be a string", k), http.StatusBadRequest)
				return
			}
		}
		switch strings.ToLower(k) {
		case "action":
			a.Name = s
		case "actionid":
			id = s
		case "server":
			// the path names the server
		default:
			a.Fields = append(a.Fields, ami.Field{Key: k, Value: s})
		}
	}
	if a.Name == "" {
		http.Error(w, `body needs "Action"`, http.StatusBadRequest)
		return
	}
	if strings.EqualFold(a.Name, "Login") || strings.EqualFold(a.Name, "Logoff") || strings.EqualFold(a.Name, "Challenge") || strings.EqualFold(a.Name, "Events") {
		http.Error(w, a.Name+" is not an HTTP action", http.StatusBadRequest)
		return
	}
	a.Fields = append(a.Fields, ami.Field{Key: "Server", Value: r.PathValue("name")})
	s := &sub{id: g.seq.Add(1), pol: p}
	resp := g.do(r.Context(), s, 1, a, id)
	status := http.StatusOK
	if resp.Status() == "Error" {
		switch msg := resp.Get("Message"); {
		case msg == "Permission denied":
			status = http.StatusForbidden
		case strings.HasPrefix(msg, "No such server"):
			status = http.StatusNotFound
		case strings.HasPrefix(msg, "PBX "):
			status = http.StatusBadGateway
		}
	}
	out := struct {
		Response map[string]any   `json:"response"`
		Events   []map[string]any `json:"events,omitempty"`
		Complete map[string]any   `json:"complete,omitempty"`
	}{Response: jsonMessage(resp.Message, "")}
	for _, e := range resp.Events {
		out.Events = append(out.Events, jsonMessage(e, ""))
	}
	if len(resp.Complete.Fields) > 0 {
		out.Complete = jsonMessage(resp.Complete, "")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

// jsonMessage renders an AMI message as an object; a repeated key (Output,
// ChanVariable) becomes an array of its values.
func jsonMessage(m ami.Message, server string) map[string]any {
	o := make(map[string]any, len(m.Fields)+1)
	for _, f := range m.Fields {
		if f.Key == "" {
			continue
		}
		switch cur := o[f.Key].(type) {
		case nil:
			o[f.Key] = f.Value
		case string:
			o[f.Key] = []string{cur, f.Value}
		case []string:
			o[f.Key] = append(cur, f.Value)
		}
	}
	if server != "" {
		o["Server"] = server
	}
	return o
}

// serveEvents streams events as SSE. Query: server=pbx1,pbx2 (default:
// the user's servers), event=Newchannel,Hangup (AMI event names),
// types=ami,call,network (default ami,call).
func (g *Gateway) serveEvents(w http.ResponseWriter, r *http.Request, records *eventbus.Bus) {
	p := g.httpUser(w, r)
	if p == nil {
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	q := r.URL.Query()
	types := lowerSet(splitList(q.Get("types"), "ami,call"))
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	s := &sub{id: g.seq.Add(1), pol: p, out: make(chan item, g.cfg.ClientQueue), kill: cancel, amiOn: types["ami"]}
	none := map[string]bool(nil)
	s.mask.Store(&none)
	if v := q.Get("server"); v != "" {
		s.servers = map[string]bool{}
		for _, n := range splitList(v, "") {
			s.servers[n] = true
		}
	}
	if v := q.Get("event"); v != "" {
		s.names = lowerSet(splitList(v, ""))
	}
	var recs <-chan eventbus.Record
	if records != nil && (types["call"] || types["network"]) {
		sub := records.Subscribe(g.cfg.ClientQueue, func(rec eventbus.Record) bool {
			if rec.Server != "" {
				return types["call"] && p.servers[rec.Server] && (s.servers == nil || s.servers[rec.Server]) &&
					(p.read == nil || p.read[ClassCallEvents])
			}
			return types["network"] && (p.read == nil || p.read[ClassNetwork])
		})
		defer sub.Close()
		recs = sub.C
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	g.register(s)
	defer g.unregister(s)
	rc := http.NewResponseController(w)
	hb := time.NewTicker(sseHeartbeat)
	defer hb.Stop()
	var buf []byte
	for {
		buf = buf[:0]
		select {
		case <-ctx.Done():
			return
		case <-hb.C:
			buf = append(buf, ": keepalive\n\n"...)
		case it := <-s.out:
			m := it.msg
			if it.routed {
				m = withID(m, it.id)
			}
			buf = appendSSE(buf, "ami", "", jsonMessage(m, it.server))
		case rec, ok := <-recs:
			if !ok {
				return
			}
			buf = appendSSE(buf, rec.Type, fmt.Sprint(rec.ID), rec)
		}
		_ = rc.SetWriteDeadline(time.Now().Add(g.cfg.WriteTimeout))
		if _, err := w.Write(buf); err != nil {
			return
		}
		fl.Flush()
	}
}

func appendSSE(b []byte, event, id string, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte(`{"error":"unencodable record"}`)
	}
	b = append(b, "event: "...)
	b = append(b, event...)
	b = append(b, '\n')
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	b = append(b, "data: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

func splitList(v, def string) []string {
	if v == "" {
		v = def
	}
	var out []string
	for x := range strings.SplitSeq(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
