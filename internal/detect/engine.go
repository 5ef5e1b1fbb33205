package detect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Limits bound the engine's memory. Each is a number of entries in a
// least-recently-used set; the zero value of a field takes its default.
type Limits struct {
	Identities       int // baselines kept; default 20000
	Addresses        int // windows of requests without a token, by address; default 10000
	PathsPerIdentity int // paths remembered per identity; default 256
	Tokens           int // tokens whose address and environment are kept; default 100000
	Roles            int // CI roles; default 2000
	ContextsPerRole  int // repository@ref workflow contexts per role; default 256
}

func (l Limits) withDefaults() Limits {
	def := func(n *int, d int) {
		if *n <= 0 {
			*n = d
		}
	}
	def(&l.Identities, 20000)
	def(&l.Addresses, 10000)
	def(&l.PathsPerIdentity, 256)
	def(&l.Tokens, 100000)
	def(&l.Roles, 2000)
	def(&l.ContextsPerRole, 256)
	return l
}

// Options configures an Engine beyond its thresholds.
type Options struct {
	// Emit receives each alert, in order, outside the engine's lock. nil:
	// alerts are only counted.
	Emit func(Alert)
	// Limits bound memory; zero fields take their defaults.
	Limits Limits
}

// Stats counts what an engine has read and raised.
type Stats struct {
	Lines      int64 `json:"lines"`      // lines given to Line
	Events     int64 `json:"events"`     // response entries read
	Skipped    int64 `json:"skipped"`    // request and alert entries
	Unparsable int64 `json:"unparsable"` // lines that are not audit entries
	// LastUnparsable is the number (in Lines) of the last unparsable line.
	LastUnparsable int64            `json:"last_unparsable,omitempty"`
	Alerts         map[string]int64 `json:"alerts"`  // raised, by detector
	Evicted        int64            `json:"evicted"` // baselines forgotten for want of room
}

// Engine runs the detectors over audit events. It is safe for concurrent
// use; events are processed one at a time, in the order given.
type Engine struct {
	opt Options

	mu      sync.Mutex
	cfg     Config                    // guarded by mu
	rules   map[string]string         // guarded by mu: each detector's rule text
	ids     *lru[string, *idState]    // guarded by mu
	anon    *lru[string, *idState]    // guarded by mu: addr: identities, apart so that they cannot push baselines out
	tokens  *lru[string, *tokenState] // guarded by mu
	roles   *lru[string, *roleState]  // guarded by mu
	stats   Stats                     // guarded by mu
	pending []Alert                   // guarded by mu: raised, not yet emitted
	ev      Event                     // guarded by mu: scratch for Line
	idMemo  idMemo                    // guarded by mu
}

// idState is one identity's baseline and its short windows.
type idState struct {
	first, last time.Time
	events      int
	display     string
	paths       *lru[string, struct{}] // secrets read
	hours       uint32                 // bit h: a request in hour h (UTC)
	activeHours int                    // distinct clock hours with a request
	lastSlot    int64                  // the clock hour (Unix hours) of the last one
	maxReads    int                    // most reads in one earlier volume window
	vol         window                 // reads in the current volume window
	prevReads   int                    // reads in the window before it, if adjacent
	enum        window                 // the current enumeration window
	enumPaths   map[string]struct{}    // distinct paths in it, up to the threshold
	enumLists   int
	deny        window
}

// window is a count since a start time, and whether it alerted (or, with
// carried, follows a window that did and stays quiet for the same burst).
type window struct {
	start   time.Time
	n       int
	alerted bool
	carried bool
}

// roll starts a new window at t if t is past the current one.
func (w *window) roll(t time.Time, length time.Duration) bool {
	if w.start.IsZero() || !t.Before(w.start.Add(length)) {
		*w = window{start: t}
		return true
	}
	return false
}

type tokenState struct {
	network string // the first address, masked to its prefix
	addr    string // the first address
	env     string // the first environment
	alerted bool
}

type roleState struct {
	first    time.Time
	contexts *lru[string, struct{}]
}

// NewEngine returns an engine with the thresholds of cfg, which should be
// valid (Config.Validate).
func NewEngine(cfg Config, opt Options) *Engine {
	opt.Limits = opt.Limits.withDefaults()
	e := &Engine{opt: opt}
	e.reset()
	e.SetConfig(cfg)
	return e
}

func (e *Engine) reset() {
	l := e.opt.Limits
	e.ids = newLRU[string, *idState](l.Identities)
	e.anon = newLRU[string, *idState](l.Addresses)
	e.tokens = newLRU[string, *tokenState](l.Tokens)
	e.roles = newLRU[string, *roleState](l.Roles)
	e.stats = Stats{Alerts: map[string]int64{}}
}

// SetConfig replaces the thresholds; baselines are kept.
func (e *Engine) SetConfig(cfg Config) {
	rules := map[string]string{
		DetFirstRead:      fmt.Sprintf("first_read: after learn_for %s", cfg.LearnFor),
		DetNewCIContext:   fmt.Sprintf("new_ci_context: after learn_for %s, refs grouped by %v", cfg.LearnFor, cfg.NewCIContext.GroupRefs),
		DetCrossEnv:       "cross_environment",
		DetDenialBurst:    fmt.Sprintf("denial_burst: %d denials within %s", cfg.DenialBurst.Denials, cfg.DenialBurst.Within),
		DetEnumeration:    fmt.Sprintf("enumeration: %d distinct paths or %d lists within %s", cfg.Enumeration.DistinctPaths, cfg.Enumeration.Lists, cfg.Enumeration.Within),
		DetReadVolume:     fmt.Sprintf("read_volume: more than %d reads and %g times the usual per %s", cfg.ReadVolume.MinReads, cfg.ReadVolume.Factor, cfg.ReadVolume.Window),
		DetUnusualHour:    fmt.Sprintf("unusual_hour: after %d active hours, %d hours tolerance", cfg.UnusualHour.MinHours, cfg.UnusualHour.Tolerance),
		DetTokenAddresses: fmt.Sprintf("token_addresses: /%d (IPv4), /%d (IPv6)", cfg.TokenAddresses.PrefixV4, cfg.TokenAddresses.PrefixV6),
		DetSensitivePath:  "sensitive_path",
	}
	e.mu.Lock()
	e.cfg, e.rules, e.idMemo = cfg, rules, idMemo{}
	e.mu.Unlock()
}

// Stats returns a copy of the engine's counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Alerts = make(map[string]int64, len(e.stats.Alerts))
	for k, v := range e.stats.Alerts {
		s.Alerts[k] = v
	}
	s.Evicted = int64(e.ids.evicted + e.anon.evicted + e.tokens.evicted + e.roles.evicted)
	return s
}

// Line reads one audit line (with or without its newline). A line that is
// not an audit entry is counted in Stats and otherwise ignored; Line never
// fails.
func (e *Engine) Line(b []byte) {
	e.mu.Lock()
	e.stats.Lines++
	err := ParseLine(b, &e.ev)
	switch {
	case errors.Is(err, ErrSkip):
		e.stats.Skipped++
	case err != nil:
		e.stats.Unparsable++
		e.stats.LastUnparsable = e.stats.Lines
	default:
		e.observeLocked(&e.ev)
	}
	out := e.takeLocked()
	e.mu.Unlock()
	e.emit(out)
}

// observeBatch runs the detectors over the events of a live batch of
// lines (OfferEntries): the batch's response entries, each checked first
// as ParseLine would check its line.
func (e *Engine) observeBatch(evs []Event, lines int) {
	e.mu.Lock()
	e.stats.Lines += int64(lines)
	e.stats.Skipped += int64(lines - len(evs))
	for i := range evs {
		if !evs[i].asLine() {
			e.stats.Unparsable++
			e.stats.LastUnparsable = e.stats.Lines
			continue
		}
		e.observeLocked(&evs[i])
	}
	out := e.takeLocked()
	e.mu.Unlock()
	e.emit(out)
}

// Observe runs the detectors over one event.
func (e *Engine) Observe(ev *Event) {
	e.mu.Lock()
	e.observeLocked(ev)
	out := e.takeLocked()
	e.mu.Unlock()
	e.emit(out)
}

func (e *Engine) takeLocked() []Alert {
	if len(e.pending) == 0 {
		return nil
	}
	out := e.pending
	e.pending = nil
	return out
}

func (e *Engine) emit(alerts []Alert) {
	if e.opt.Emit == nil {
		return
	}
	for _, a := range alerts {
		e.opt.Emit(a)
	}
}

// Replay reads a whole log from r, line by line, until EOF or ctx is done.
// Only a read error or ctx stops it; bad lines are counted.
func (e *Engine) Replay(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b, err := readLine(br)
		if len(b) > 0 {
			e.Line(b)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// maxLine bounds one line Replay and Follow hand to the engine; a longer
// one is skipped whole and counted as unparsable.
const maxLine = 16 << 20

// readLine returns the next line without its newline. A line longer than
// maxLine comes back as a single byte that is not JSON, so that it is
// counted as unparsable.
func readLine(br *bufio.Reader) ([]byte, error) {
	b, err := br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		if n := len(b); n > 0 && b[n-1] == '\n' {
			b = b[:n-1]
		}
		return b, err
	}
	long := append([]byte(nil), b...)
	for err == bufio.ErrBufferFull {
		b, err = br.ReadSlice('\n')
		if len(long) <= maxLine {
			long = append(long, b...)
		}
	}
	if len(long) > maxLine {
		return []byte{'!'}, err
	}
	if n := len(long); n > 0 && long[n-1] == '\n' {
		long = long[:n-1]
	}
	return long, err
}
