package agi

import (
	"context"

	"github.com/voipsdn/voipsdn/call"
)

// Source runs the FastAGI server as a call.Source. One FastAGI listener
// serves every configured PBX, so Server returns "": each event names its
// PBX in Header.Server. It never emits Resynced (a FastAGI session is a
// one-shot answer; there is no view to resynchronise), so a consumer must
// not gate anything on this source's resync.
type Source struct {
	Addr    string // host:port to listen on (voip.agi.listen)
	Options Options
	// Started, if set, receives the server once it is built, for its
	// Stats.
	Started func(*Server)
}

// Name implements call.Source.
func (s *Source) Name() string { return "fastagi" }

// Server implements call.Source.
func (s *Source) Server() string { return "" }

// Run listens and serves until ctx ends.
func (s *Source) Run(ctx context.Context, emit func(call.Event)) error {
	srv := NewServer(s.Options, emit)
	if s.Started != nil {
		s.Started(srv)
	}
	return srv.ListenAndServe(ctx, s.Addr)
}

var _ call.Source = (*Source)(nil)

// NeverResyncs implements call.NoResync.
func (s *Source) NeverResyncs() {}
