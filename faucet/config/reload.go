package config

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// ApplyFunc installs a new configuration in the running system. It gets
// the running config (nil at first load), the new one and the change set.
// If it returns an error the new config is not committed and the old one
// stays in force.
type ApplyFunc func(ctx context.Context, old, new *Config, changes *ChangeSet) error

// ReloaderOption configures a Reloader.
type ReloaderOption func(*Reloader)

// WithApply sets the function that applies a validated config before it
// becomes current, making a reload all-or-nothing.
func WithApply(fn ApplyFunc) ReloaderOption { return func(r *Reloader) { r.apply = fn } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) ReloaderOption { return func(r *Reloader) { r.log = l } }

// Reloader owns the running configuration of one main config file. Reload
// loads and validates the files; a valid config is diffed against the
// running one, applied (see WithApply) and then becomes current; an
// invalid one is rejected and the running config stays. Reloader is safe
// for concurrent use; reloads are serialised.
type Reloader struct {
	path  string
	apply ApplyFunc
	log   *slog.Logger

	mu      sync.Mutex // serialises reloads and guards watched
	watched map[string]fileState
	current atomic.Pointer[Config]
}

// fileState is a watched file's content hash, or absent.
type fileState struct {
	absent bool
	hash   [32]byte
}

// NewReloader returns a Reloader for the main config file at path. It
// loads nothing until Reload is called.
func NewReloader(path string, opts ...ReloaderOption) *Reloader {
	r := &Reloader{path: path, log: slog.New(slog.DiscardHandler), watched: map[string]fileState{}}
	for _, o := range opts {
		o(r)
	}
	r.log = r.log.With("component", "faucet/config", "config", path)
	return r
}

// Current returns the running config, or nil if no valid config has been
// loaded yet.
func (r *Reloader) Current() *Config { return r.current.Load() }

// Path returns the main config file.
func (r *Reloader) Path() string { return r.path }

// Reload loads and validates the config files. If they are valid, it
// computes the change set from the running config, applies it and makes
// the new config current, returning the change set. Otherwise it returns
// the errors (an Errors value, or the apply error) and the running config
// stays in force.
func (r *Reloader) Reload(ctx context.Context) (*ChangeSet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src, err := Load(r.path)
	r.recordFiles(src)
	var cfg *Config
	if err == nil {
		cfg, err = build(src)
	}
	old := r.current.Load()
	if err != nil {
		r.log.Warn("config rejected, keeping running config", "errors", errCount(err), "running", old != nil, "first_error", firstError(err))
		return nil, err
	}
	changes := Diff(old, cfg)
	if r.apply != nil {
		if err := r.apply(ctx, old, cfg, changes); err != nil {
			r.log.Warn("config apply failed, keeping running config", "err", err)
			return nil, fmt.Errorf("apply config %s: %w", r.path, err)
		}
	}
	r.current.Store(cfg)
	if old == nil {
		r.log.Info("config loaded", "dps", len(cfg.DPs), "files", len(cfg.Files))
	} else if !changes.Empty() {
		r.log.Info("config reloaded", "dps_added", len(changes.DPs.Added), "dps_changed", len(changes.DPs.Changed), "dps_removed", len(changes.DPs.Removed), "voip_changed", !changes.VoIP.Asterisk.Empty() || changes.VoIP.QoSChanged)
	} else {
		r.log.Info("config reloaded, no changes", "cosmetic", len(changes.Cosmetic))
	}
	return changes, nil
}

// Changed reports whether any watched file (the main file, every file it
// included at the last Reload, and missing optional includes) changed
// content, appeared or disappeared since the last Reload. Before the
// first Reload it reports true.
func (r *Reloader) Changed() bool {
	r.mu.Lock()
	watched := r.watched
	r.mu.Unlock()
	if len(watched) == 0 {
		return true
	}
	for path, st := range watched {
		if statFile(path) != st {
			return true
		}
	}
	return false
}

func (r *Reloader) recordFiles(src *Source) {
	w := map[string]fileState{r.path: statFile(r.path)}
	if src != nil {
		for _, f := range src.Files {
			if h, ok := src.Hashes[f]; ok {
				w[f] = fileState{hash: h}
			}
		}
		for _, f := range src.Missing {
			w[f] = statFile(f)
		}
	}
	// The main file's state is what was read, so a change during the
	// load is noticed next time.
	if src != nil {
		if h, ok := src.Hashes[r.path]; ok {
			w[r.path] = fileState{hash: h}
		}
	}
	r.watched = w
}

func statFile(path string) fileState {
	data, err := ReadFile(path)
	if err != nil {
		return fileState{absent: true}
	}
	return fileState{hash: sha256.Sum256(data)}
}

func errCount(err error) int {
	var es Errors
	if errors.As(err, &es) {
		return len(es)
	}
	return 1
}

func firstError(err error) string {
	var es Errors
	if errors.As(err, &es) && len(es) > 0 {
		return es[0].Error()
	}
	return err.Error()
}
