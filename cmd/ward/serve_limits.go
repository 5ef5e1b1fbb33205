package main

import (
	"fmt"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/wardhq/ward/internal/server"
)

// limitOpts are ward server's limits on requests and connections.
type limitOpts struct {
	rate     float64 // requests per second per token
	burst    int
	quota    int // requests per hour per token
	maxConns int
}

// Defaults: far above what a CI job does (a few requests per job), so
// they only stop a runaway loop or a flood.
const (
	defaultRateLimit = 1000
	defaultMaxConns  = 10000
)

func (o *limitOpts) flags(fs *pflag.FlagSet) {
	fs.Float64Var(&o.rate, "rate-limit", defaultRateLimit, "requests per second each token may make (root tokens are not limited); 0: no limit")
	fs.IntVar(&o.burst, "rate-limit-burst", 0, "requests a token may make at once above --rate-limit; 0: twice the rate")
	fs.IntVar(&o.quota, "request-quota", 0, "requests per hour each token may make (root tokens are not limited); 0: no quota")
	fs.IntVar(&o.maxConns, "max-connections", defaultMaxConns, "open client connections at most; one more is closed at once")
}

func (o *limitOpts) check() error {
	switch {
	case o.rate < 0:
		return usagef("--rate-limit must be 0 (no limit) or more, not %v", o.rate)
	case o.burst < 0:
		return usagef("--rate-limit-burst must be 0 (twice the rate) or more, not %d", o.burst)
	case o.quota < 0:
		return usagef("--request-quota must be 0 (no quota) or more, not %d", o.quota)
	case o.maxConns < 1:
		return usagef("--max-connections must be at least 1, not %d", o.maxConns)
	}
	return nil
}

func (o *limitOpts) requests() server.RequestLimits {
	return server.RequestLimits{PerSecond: o.rate, Burst: o.burst, PerHour: o.quota}
}

// raiseFileLimit raises the soft limit on open files to the hard one, so
// that --max-connections, not the file limit, decides how many clients are
// served. It returns the soft limit in effect.
func raiseFileLimit(want int) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= uint64(want) || lim.Cur >= lim.Max {
		return lim.Cur, nil
	}
	lim.Cur = min(lim.Max, uint64(want))
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("raising the open-file limit to %d: %w", lim.Cur, err)
	}
	return lim.Cur, nil
}
