package gateway

import (
	"net/http"
)

// route is an extra endpoint on the HTTP listener (Handle).
type route struct {
	pattern, action string
	h               http.Handler
}

// Handle serves h at pattern on the HTTP listener, for the users the
// gateway's policy lets run action on the PBX named by the pattern's
// {name} wildcard; others get 401 or 403, counted as denied actions are.
// The controller's own features that act on a PBX (the test call, which
// needs Originate) are served this way. Call it before HTTPHandler.
func (g *Gateway) Handle(pattern, action string, h http.Handler) {
	g.upMu.Lock()
	g.routes = append(g.routes, route{pattern: pattern, action: action, h: h})
	g.upMu.Unlock()
}

func (g *Gateway) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := g.httpUser(w, r)
		if p == nil {
			return
		}
		server := r.PathValue("name")
		if !p.allowAction(rt.action) || !p.servers[server] {
			g.st.denied.Add(1)
			g.log.Info("gateway action denied", "user", p.user.Name, "action", rt.action, "server", server)
			http.Error(w, "permission denied: "+rt.action+" on "+server, http.StatusForbidden)
			return
		}
		rt.h.ServeHTTP(w, r)
	})
}

// Session returns the shared AMI session to a PBX, nil if there is none.
func (g *Gateway) Session(name string) Upstream { return g.upstream(name) }
