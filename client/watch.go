package client

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// A service started by `ward run --watch` receives a secret's new version
// while it runs: ward replaces the files in $WARD_SECRETS_DIR (a new file
// renamed over the old one) and sends the service SIGHUP, or the signal its
// ward.yaml names. WatchSecrets turns that into a callback with the new
// typed value, loaded by the function `ward codegen` generated:
//
//	err := client.WatchSecrets(ctx, client.WatchConfig{}, secrets.Load, func(s *secrets.Secrets) {
//		pool.SetPassword(s.DBPassword.Reveal())
//	})

// WatchConfig configures WatchSecrets. The zero value watches
// $WARD_SECRETS_DIR for SIGHUP and for files replaced, checked every
// 2 seconds.
type WatchConfig struct {
	// Dir is the secrets directory. "": $WARD_SECRETS_DIR; when that is
	// unset too, only the signals are watched.
	Dir string
	// Signals make WatchSecrets load again at once. nil: SIGHUP.
	Signals []os.Signal
	// Interval is how often the files are checked for a replacement,
	// which catches a change whose signal went elsewhere. 0: 2s.
	Interval time.Duration
	// After waits d, like time.After. nil: time.After; tests inject a
	// fake clock.
	After func(d time.Duration) <-chan time.Time
	// OnError is told why a load failed (a file withdrawn, a value that
	// breaks its type); the callback keeps the last good value. nil: the
	// error is ignored.
	OnError func(error)
}

// WatchSecrets calls load, hands its value to apply, and does so again each
// time the files of the secrets directory change (new content, a file
// added or removed) or one of the signals arrives while they have changed,
// until ctx is done. The first load's error is returned at once; later
// ones go to OnError. apply runs on WatchSecrets's goroutine, one call at a
// time. WatchSecrets returns ctx's error.
func WatchSecrets[T any](ctx context.Context, cfg WatchConfig, load func() (T, error), apply func(T)) error {
	dir := cfg.Dir
	if dir == "" {
		dir = os.Getenv("WARD_SECRETS_DIR")
	}
	sigs := cfg.Signals
	if sigs == nil {
		sigs = []os.Signal{syscall.SIGHUP}
	}
	interval := cfg.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	after := cfg.After
	if after == nil {
		after = time.After
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	defer signal.Stop(ch)

	seen := dirState(dir)
	v, err := load()
	if err != nil {
		return err
	}
	apply(v)
	for {
		signalled := false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
			signalled = true
		case <-after(interval):
		}
		now := dirState(dir)
		if now == seen && !(signalled && dir == "") {
			continue // nothing new: a signal that came twice, or no change
		}
		seen = now
		v, err := load()
		if err != nil {
			if cfg.OnError != nil {
				cfg.OnError(fmt.Errorf("loading the secrets again: %w", err))
			}
			continue
		}
		apply(v)
	}
}

// dirState sums up the secrets directory: each file's path, size, mode
// and content, hashed. It changes when a file is replaced, added or
// removed. "" for no directory.
func dirState(dir string) string {
	if dir == "" {
		return ""
	}
	h := sha256.New()
	var paths []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".ward-tmp-") { // ward's file being written
			paths = append(paths, p)
		}
		return nil
	})
	slices.Sort(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // replaced while we looked: the next look sees it
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		clear(b)
	}
	return string(h.Sum(nil))
}
