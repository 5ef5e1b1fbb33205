package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// leadRetry is how long a server waits before asking again for a lock it
// failed to ask for (the database was away).
const leadRetry = time.Second

// runLeading runs work, work that must run on one server at a time, while
// this server holds the store's lock called name, until ctx ends. When the
// lock is lost (the database connection broke) work's context ends and
// the server queues for the lock again; another server waiting for it takes
// over as soon as PostgreSQL sees the holder's connection end (at once when
// the holder's process dies). A store that is not shared (bolt) has no
// Locker: work simply runs.
func runLeading(ctx context.Context, b storage.Backend, name string, logger *slog.Logger, work func(context.Context)) {
	l, ok := b.(storage.Locker)
	if !ok {
		work(ctx)
		return
	}
	for ctx.Err() == nil {
		held, release, err := l.Lead(ctx, name)
		if err != nil {
			if ctx.Err() == nil {
				logger.Warn("cannot ask for the run-once lock; trying again", "work", name, "error", err.Error())
				select {
				case <-ctx.Done():
				case <-time.After(leadRetry):
				}
			}
			continue
		}
		logger.Info("this server now runs the run-once work", "work", name)
		wctx, cancel := context.WithCancel(held)
		stop := context.AfterFunc(ctx, cancel)
		work(wctx)
		stop()
		cancel()
		release()
		if ctx.Err() == nil {
			logger.Warn("lost the run-once lock; queueing for it again", "work", name)
		}
	}
}
