package agi

import (
	"errors"
	"net/url"
	"strings"
)

// ScriptQoS is the one script voipsdn serves: agi://HOST:4573/qos?class=NAME.
const ScriptQoS = "qos"

// maxID bounds a Uniqueid or channel name taken from a peer.
const maxID = 256

// Request is what a session asks, read from its environment.
type Request struct {
	// Script is the URL path without its leading "/" and query ("qos").
	Script string
	// Class is the class= parameter ("" when absent).
	Class string
	// Server is the server= parameter: the voip.asterisk name of the PBX,
	// for deployments where the peer address does not tell.
	Server   string
	Uniqueid string
	Channel  string
	Env      Env
}

// ErrNoUniqueid: the environment names no channel to tie the class to.
var ErrNoUniqueid = errors.New("agi: environment has no valid agi_uniqueid")

// ParseRequest reads the request of a FastAGI or AsyncAGI environment.
//
// FastAGI: agi_network_script holds the URL path without its leading "/"
// and with the query ("qos?class=emergency"); agi_request the whole URL.
// AsyncAGI (agi_request: async): the script is the first AGI() argument
// after agi:async, with its own query ("qos?class=emergency"), or the
// class is the second argument ("qos,emergency" or "qos,class=emergency").
func ParseRequest(env Env) (Request, error) {
	r := Request{Env: env, Uniqueid: env.Get("agi_uniqueid"), Channel: env.Get("agi_channel")}
	if r.Uniqueid == "" || len(r.Uniqueid) > maxID || strings.ContainsAny(r.Uniqueid, " \t") || len(r.Channel) > maxID {
		return r, ErrNoUniqueid
	}
	script, async := env.Get("agi_network_script"), false
	if script == "" {
		if req := env.Get("agi_request"); req == "async" {
			async = true
			if args := env.Args(); len(args) > 0 {
				script = args[0]
			}
		} else if u, err := url.Parse(req); err == nil && u.Scheme == "agi" {
			script = strings.TrimPrefix(u.Path, "/")
			if u.RawQuery != "" {
				script += "?" + u.RawQuery
			}
		}
	}
	path, query, _ := strings.Cut(script, "?")
	r.Script = strings.Trim(path, "/")
	q, _ := url.ParseQuery(query) // a bad pair is dropped; the rest is still read
	r.Class, r.Server = q.Get("class"), q.Get("server")
	if args := env.Args(); async && r.Class == "" && len(args) > 1 {
		r.Class = strings.TrimPrefix(args[1], "class=")
	}
	return r, nil
}
