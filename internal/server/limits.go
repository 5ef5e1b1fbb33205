package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wardhq/ward/internal/ratelimit"
)

// RequestLimits limit the requests of each token: a rate (PerSecond, with
// Burst at once) and a quota (PerHour). A request over either is refused
// with 429 and Retry-After before it is audited or does any work, in
// Vault's error shape. Root tokens are not limited: they are the
// operator's, and the way out of a limit set too low. Zero fields are off.
type RequestLimits struct {
	PerSecond float64 // requests per second per token; 0: no rate limit
	Burst     int     // requests at once above the rate; 0: 2 × PerSecond
	PerHour   int     // requests per hour per token; 0: no quota
}

// String describes the limits in words, for logs and --check.
func (l RequestLimits) String() string {
	rate, quota := "no rate limit", "no quota"
	if l.PerSecond > 0 {
		rate = fmt.Sprintf("%s requests/s per token (burst %d)", strconv.FormatFloat(l.PerSecond, 'f', -1, 64), l.burst())
	}
	if l.PerHour > 0 {
		quota = fmt.Sprintf("%d requests/hour per token", l.PerHour)
	}
	return rate + ", " + quota
}

func (l RequestLimits) burst() int {
	if l.Burst > 0 {
		return l.Burst
	}
	return max(1, int(2*l.PerSecond))
}

// limiters are a Server's RequestLimits at work; a nil field is off.
type limiters struct {
	rate, quota *ratelimit.Limiter
	cfg         RequestLimits
}

func newLimiters(l RequestLimits, now func() time.Time) limiters {
	out := limiters{cfg: l}
	if l.PerSecond > 0 {
		out.rate = ratelimit.New(ratelimit.Config{Burst: l.burst(), Every: time.Duration(float64(time.Second) / l.PerSecond), Now: now})
	}
	if l.PerHour > 0 {
		out.quota = ratelimit.New(ratelimit.Config{Burst: l.PerHour, Every: time.Hour / time.Duration(l.PerHour), Now: now})
	}
	return out
}

// check counts one request of the authenticated req against its token's
// rate and quota.
func (ls *limiters) check(req *request) error {
	if req.Token == nil || req.Token.IsRoot() {
		return nil
	}
	if ls.rate != nil {
		if wait, ok := ls.rate.Take(req.Token.Accessor); !ok {
			return limitedError(wait, fmt.Sprintf("rate limit exceeded: this token may make %s requests per second (burst %d)",
				strconv.FormatFloat(ls.cfg.PerSecond, 'f', -1, 64), ls.cfg.burst()))
		}
	}
	if ls.quota != nil {
		if wait, ok := ls.quota.Take(req.Token.Accessor); !ok {
			return limitedError(wait, fmt.Sprintf("request quota exceeded: this token may make %d requests per hour", ls.cfg.PerHour))
		}
	}
	return nil
}

func limitedError(wait time.Duration, msg string) *apiError {
	return &apiError{status: http.StatusTooManyRequests, retryAfter: wait,
		msgs: []string{fmt.Sprintf("%s; retry after %d seconds (hint: spread the requests out, or ask the operator to raise ward server's --rate-limit or --request-quota)", msg, int(wait.Seconds()))}}
}
