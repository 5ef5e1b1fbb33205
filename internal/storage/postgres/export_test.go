package postgres

import "time"

// WithReconnectDelay returns opts with the change feed's reconnection
// delay set to d, so that a test can hold the feed down long enough to
// act while it is down.
func WithReconnectDelay(opts Options, d time.Duration) Options {
	opts.reconnectDelay = d
	return opts
}
