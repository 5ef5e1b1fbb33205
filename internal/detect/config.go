package detect

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/duration"
)

// Config holds every detector's thresholds. Its zero value turns every
// detector off; start from DefaultConfig. Teams keep it as code in
// ward/alerts.yaml, whose fields are the json names below.
type Config struct {
	// LearnFor is how long an identity is watched, from its first request,
	// before the detectors that compare with its baseline (first_read,
	// read_volume, unusual_hour, new_ci_context) speak for it.
	LearnFor time.Duration `json:"learn_for"`
	// DedupeFor drops an alert identical to one raised this recently (same
	// detector, identity and subject).
	DedupeFor time.Duration `json:"dedupe_for"`
	// RateLimit bounds the alerts of one detector about one identity.
	RateLimit RateLimit `json:"rate_limit"`

	FirstRead      Toggle         `json:"first_read"`
	NewCIContext   CIContext      `json:"new_ci_context"`
	CrossEnv       Toggle         `json:"cross_environment"`
	DenialBurst    DenialBurst    `json:"denial_burst"`
	Enumeration    Enumeration    `json:"enumeration"`
	ReadVolume     ReadVolume     `json:"read_volume"`
	UnusualHour    UnusualHour    `json:"unusual_hour"`
	TokenAddresses TokenAddresses `json:"token_addresses"`
	SensitivePath  SensitivePath  `json:"sensitive_path"`
}

// RateLimit allows Alerts alerts per Per; the ones beyond are counted and
// the count is carried by the next alert let through.
type RateLimit struct {
	Alerts int           `json:"alerts"`
	Per    time.Duration `json:"per"`
}

// Toggle is a detector with nothing to tune.
type Toggle struct {
	Enabled bool `json:"enabled"`
}

// CIContext tunes new_ci_context. GroupRefs are globs (* matches any run of
// characters) of refs that count as one: every pull request, or every
// feature branch, is then one context rather than a new one each time.
type CIContext struct {
	Enabled   bool     `json:"enabled"`
	GroupRefs []string `json:"group_refs"`
}

// DenialBurst raises an alert when one identity (or, without a token, one
// address) is refused Denials times within Within.
type DenialBurst struct {
	Enabled bool          `json:"enabled"`
	Denials int           `json:"denials"`
	Within  time.Duration `json:"within"`
}

// Enumeration raises an alert when one identity touches DistinctPaths
// distinct paths, or lists Lists times, within Within.
type Enumeration struct {
	Enabled       bool          `json:"enabled"`
	DistinctPaths int           `json:"distinct_paths"`
	Lists         int           `json:"lists"`
	Within        time.Duration `json:"within"`
}

// ReadVolume raises an alert when an identity's reads in one Window exceed
// both MinReads and Factor times the most it read in any earlier window.
type ReadVolume struct {
	Enabled  bool          `json:"enabled"`
	Factor   float64       `json:"factor"`
	MinReads int           `json:"min_reads"`
	Window   time.Duration `json:"window"`
}

// UnusualHour raises an alert for a request at an hour of the day (UTC) in
// which the identity never made one, once it has been active in MinHours
// distinct clock hours (a date and an hour); hours within Tolerance of a
// used one count as used. Watch lists the kinds of identity watched (user,
// token, ci): CI jobs run when people push, so their hours are the whole
// team's, and are best watched where pipelines run on fixed schedules.
// Identities matching a glob of Except (user:oncall-*) work at any hour.
type UnusualHour struct {
	Enabled   bool     `json:"enabled"`
	MinHours  int      `json:"min_active_hours"`
	Tolerance int      `json:"tolerance_hours"`
	Watch     []string `json:"watch"`
	Except    []string `json:"except"`
}

// TokenAddresses raises an alert when one token is used from a second
// address. Addresses in the same IPv4 /PrefixV4 or IPv6 /PrefixV6 count as
// one (a NAT pool, a runner's network).
type TokenAddresses struct {
	Enabled  bool `json:"enabled"`
	PrefixV4 int  `json:"prefix_v4"`
	PrefixV6 int  `json:"prefix_v6"`
}

// SensitivePath raises an alert for any request on a retired or
// break-glass secret. Both are globs over ENV/PATH (prod/payments/old-db);
// * matches any run of characters, / included.
type SensitivePath struct {
	Enabled    bool     `json:"enabled"`
	Retired    []string `json:"retired"`
	BreakGlass []string `json:"break_glass"`
}

// DefaultConfig is what ward watches for without an alerts.yaml.
func DefaultConfig() Config {
	return Config{
		LearnFor:       7 * 24 * time.Hour,
		DedupeFor:      24 * time.Hour,
		RateLimit:      RateLimit{Alerts: 10, Per: time.Hour},
		FirstRead:      Toggle{Enabled: true},
		NewCIContext:   CIContext{Enabled: true, GroupRefs: []string{"refs/pull/*", "refs/merge-requests/*", "refs/tags/*"}},
		CrossEnv:       Toggle{Enabled: true},
		DenialBurst:    DenialBurst{Enabled: true, Denials: 10, Within: time.Minute},
		Enumeration:    Enumeration{Enabled: true, DistinctPaths: 40, Lists: 30, Within: 5 * time.Minute},
		ReadVolume:     ReadVolume{Enabled: true, Factor: 5, MinReads: 200, Window: time.Hour},
		UnusualHour:    UnusualHour{Enabled: true, MinHours: 8, Tolerance: 2, Watch: []string{"user", "token"}},
		TokenAddresses: TokenAddresses{Enabled: true, PrefixV4: 32, PrefixV6: 64},
		SensitivePath:  SensitivePath{Enabled: true},
	}
}

// FieldError is one invalid threshold, named by its field path in
// alerts.yaml (denial_burst.denials).
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate lists every invalid threshold of c, in field order.
func (c *Config) Validate() []*FieldError {
	var out []*FieldError
	bad := func(field, format string, args ...any) {
		out = append(out, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	positive := func(field string, d time.Duration) {
		if d <= 0 {
			bad(field, "must be a positive duration, like 10m or 7d")
		}
	}
	atLeast := func(field string, n, min int) {
		if n < min {
			bad(field, "must be at least %d", min)
		}
	}
	if c.LearnFor < 0 {
		bad("learn_for", "must not be negative; 0 learns nothing first")
	}
	positive("dedupe_for", c.DedupeFor)
	atLeast("rate_limit.alerts", c.RateLimit.Alerts, 1)
	positive("rate_limit.per", c.RateLimit.Per)
	for i, g := range c.NewCIContext.GroupRefs {
		if g == "" || g == "*" {
			bad("new_ci_context.group_refs["+strconv.Itoa(i)+"]", "must name refs, like refs/pull/*; %q would hide every new ref", g)
		}
	}
	if d := c.DenialBurst; d.Enabled {
		atLeast("denial_burst.denials", d.Denials, 2)
		positive("denial_burst.within", d.Within)
	}
	if e := c.Enumeration; e.Enabled {
		atLeast("enumeration.distinct_paths", e.DistinctPaths, 2)
		atLeast("enumeration.lists", e.Lists, 2)
		positive("enumeration.within", e.Within)
	}
	if v := c.ReadVolume; v.Enabled {
		if v.Factor <= 1 {
			bad("read_volume.factor", "must be more than 1: it multiplies the identity's usual reads")
		}
		atLeast("read_volume.min_reads", v.MinReads, 1)
		positive("read_volume.window", v.Window)
	}
	if h := c.UnusualHour; h.Enabled {
		atLeast("unusual_hour.min_active_hours", h.MinHours, 1)
		for i, k := range h.Watch {
			if k != "user" && k != "token" && k != "ci" {
				bad("unusual_hour.watch["+strconv.Itoa(i)+"]", "%q is not a kind of identity: use user, token or ci", k)
			}
		}
		if h.Tolerance < 0 || h.Tolerance > 11 {
			bad("unusual_hour.tolerance_hours", "must be between 0 and 11")
		}
	}
	if a := c.TokenAddresses; a.Enabled {
		if a.PrefixV4 < 1 || a.PrefixV4 > 32 {
			bad("token_addresses.prefix_v4", "must be between 1 and 32")
		}
		if a.PrefixV6 < 1 || a.PrefixV6 > 128 {
			bad("token_addresses.prefix_v6", "must be between 1 and 128")
		}
	}
	for _, list := range []struct {
		name  string
		globs []string
	}{{"sensitive_path.retired", c.SensitivePath.Retired}, {"sensitive_path.break_glass", c.SensitivePath.BreakGlass}} {
		for i, g := range list.globs {
			if env, rest, ok := strings.Cut(g, "/"); !ok || env == "" || rest == "" {
				bad(list.name+"["+strconv.Itoa(i)+"]", "%q is not ENV/PATH; name the secret with its environment, like prod/payments/old-db", g)
			}
		}
	}
	return out
}

// ParseDuration reads a duration as Go writes it (90m, 36h) or in days and
// weeks (7d, 2w, 1w3d), as alerts.yaml takes them.
func ParseDuration(s string) (time.Duration, error) {
	d, ok := duration.Parse(s)
	if !ok {
		return 0, fmt.Errorf("invalid duration %.40q: use a number and a unit of w, d, h, m or s, like 10m or 7d", s)
	}
	return d, nil
}

// glob reports whether name matches pattern, where * matches any run of
// characters (/ included) and every other character itself.
func glob(pattern, name string) bool {
	px, nx := 0, 0
	starPx, starNx := -1, 0
	for nx < len(name) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starPx, starNx = px, nx
			px++
		case px < len(pattern) && pattern[px] == name[nx]:
			px++
			nx++
		case starPx >= 0:
			starNx++
			px, nx = starPx+1, starNx
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// anyGlob returns the first of patterns that name matches, or "".
func anyGlob(patterns []string, name string) string {
	for _, p := range patterns {
		if glob(p, name) {
			return p
		}
	}
	return ""
}
