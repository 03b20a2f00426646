package grafana

import (
	"net/http"
	"strings"
)

// stripPrefix serves h under prefix, failing requests outside it.
func stripPrefix(prefix string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, prefix+"/") {
			http.Error(w, "outside "+prefix, http.StatusNotFound)
			return
		}
		http.StripPrefix(prefix, h).ServeHTTP(w, r)
	})
}
