package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// observeLocked runs every enabled detector over ev and updates the
// baselines. Detectors that compare with a baseline check before the event
// is learned.
func (e *Engine) observeLocked(ev *Event) {
	e.stats.Events++
	cfg := &e.cfg
	id := e.idMemo.identify(ev, cfg.NewCIContext.GroupRefs)
	anon := id.kind() == "addr" // no token: the address is all there is
	set := e.ids
	if anon {
		set = e.anon
	}
	st, ok := set.Get(id.key)
	if !ok {
		st = &idState{first: ev.Time, paths: newLRU[string, struct{}](e.opt.Limits.PathsPerIdentity)}
		set.Put(id.key, st)
	}
	if ev.Identity != "" {
		st.display = ev.Identity
	}
	learned := ev.Time.Sub(st.first) >= cfg.LearnFor
	secret := secretID(ev.Path)
	r := raiser{e: e, ev: ev, id: id, st: st}

	if cfg.SensitivePath.Enabled && ev.Path != "" {
		e.sensitive(&r, secret)
	}
	if cfg.CrossEnv.Enabled || cfg.TokenAddresses.Enabled {
		e.token(&r)
	}
	if cfg.DenialBurst.Enabled && ev.Denied() {
		e.denials(&r)
	}
	if cfg.Enumeration.Enabled && ev.Path != "" && (ev.Read() || ev.List() || ev.Operation == "read") {
		e.enumeration(&r, secret)
	}
	if cfg.NewCIContext.Enabled && id.role != "" {
		e.ciContext(&r)
	}
	if ev.Read() && ev.Allowed() && !anon {
		if cfg.FirstRead.Enabled && learned {
			if _, seen := st.paths.Get(secret); !seen {
				r.raise(DetFirstRead, secret, fmt.Sprintf("%s read %s for the first time", id.key, secret), []string{secret}, nil)
			}
		}
		st.paths.Put(secret, struct{}{})
		if cfg.ReadVolume.Enabled {
			e.volume(&r, learned)
		}
	}
	if cfg.UnusualHour.Enabled && !anon {
		e.hours(&r, learned)
	}
	st.events++
	if ev.Time.After(st.last) {
		st.last = ev.Time
	}
}

// raiser builds the alerts of one event.
type raiser struct {
	e  *Engine
	ev *Event
	id identity
	st *idState
}

func (r *raiser) raise(detector, subject, summary string, paths, addrs []string) {
	a := Alert{
		Time: r.ev.Time, Detector: detector, Rule: r.e.rules[detector],
		Identity: r.id.key, DisplayName: r.st.display, Environment: r.ev.Environment,
		Paths: paths, Addresses: addrs, Subject: subject, Summary: summary,
	}
	a.setID()
	r.e.pending = append(r.e.pending, a)
	r.e.stats.Alerts[detector]++
}

func pathsOf(p string) []string {
	if p == "" {
		return nil
	}
	return []string{p}
}

func (e *Engine) sensitive(r *raiser, secret string) {
	sp := &e.cfg.SensitivePath
	kind, g := "retired", anyGlob(sp.Retired, secret)
	if g == "" {
		kind, g = "break-glass", anyGlob(sp.BreakGlass, secret)
	}
	if g == "" {
		return
	}
	verb := "read"
	if !r.ev.Read() {
		verb = r.ev.Operation
	}
	outcome := ""
	if r.ev.Denied() {
		outcome = " (denied)"
	}
	r.raise(DetSensitivePath, secret+" "+verb, fmt.Sprintf("%s: %s on %s secret %s (matches %s)%s", r.id.key, verb, kind, secret, g, outcome), []string{secret}, nil)
}

// token runs cross_environment and token_addresses, which both follow one
// token.
func (e *Engine) token(r *raiser) {
	ev := r.ev
	if ev.Denied() && e.cfg.CrossEnv.Enabled && strings.Contains(ev.Error, "bound to another environment") {
		target, _, _ := strings.Cut(ev.Path, "/")
		r.raise(DetCrossEnv, target, fmt.Sprintf("%s used a token of another environment on %s", r.id.key, ev.Path), pathsOf(secretID(ev.Path)), nil)
	}
	if ev.Token == "" {
		return
	}
	ts, ok := e.tokens.Get(ev.Token)
	if !ok {
		ts = &tokenState{addr: ev.Host(), network: e.network(ev.Host()), env: ev.Environment}
		e.tokens.Put(ev.Token, ts)
		return
	}
	if ts.env == "" {
		ts.env = ev.Environment
	} else if e.cfg.CrossEnv.Enabled && ev.Environment != "" && ev.Environment != ts.env && ev.Identity != "root" {
		r.raise(DetCrossEnv, ev.Environment, fmt.Sprintf("%s: a token first used in %s was used in %s", r.id.key, ts.env, ev.Environment), pathsOf(secretID(ev.Path)), nil)
	}
	if e.cfg.TokenAddresses.Enabled && !ts.alerted && ev.RemoteAddr != "" {
		if host := ev.Host(); host != ts.addr && e.network(host) != ts.network {
			ts.alerted = true
			r.raise(DetTokenAddresses, ts.addr+" "+host, fmt.Sprintf("%s: one token used from %s and from %s", r.id.key, ts.addr, host), pathsOf(secretID(ev.Path)), []string{ts.addr, host})
		}
	}
}

// network masks an address to the configured prefix; a host that is not an
// address is its own network.
func (e *Engine) network(host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	bits := e.cfg.TokenAddresses.PrefixV6
	if a.Is4() || a.Is4In6() {
		a, bits = a.Unmap(), e.cfg.TokenAddresses.PrefixV4
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return host
	}
	return p.String()
}

func (e *Engine) denials(r *raiser) {
	d := &e.cfg.DenialBurst
	w := &r.st.deny
	w.roll(r.ev.Time, d.Within)
	w.n++
	if w.n >= d.Denials && !w.alerted {
		w.alerted = true
		r.raise(DetDenialBurst, w.start.UTC().Format(time.RFC3339), fmt.Sprintf("%s was refused %d times within %s", r.id.key, w.n, d.Within), pathsOf(secretID(r.ev.Path)), []string{r.ev.Host()})
	}
}

func (e *Engine) enumeration(r *raiser, secret string) {
	c := &e.cfg.Enumeration
	st := r.st
	if st.enum.roll(r.ev.Time, c.Within) {
		clear(st.enumPaths)
		st.enumLists = 0
	}
	if st.enumPaths == nil {
		st.enumPaths = make(map[string]struct{})
	}
	if len(st.enumPaths) < c.DistinctPaths {
		st.enumPaths[secret] = struct{}{}
	}
	if r.ev.List() {
		st.enumLists++
	}
	if st.enum.alerted || (len(st.enumPaths) < c.DistinctPaths && st.enumLists < c.Lists) {
		return
	}
	st.enum.alerted = true
	what := fmt.Sprintf("%d distinct paths", len(st.enumPaths))
	if st.enumLists >= c.Lists {
		what = fmt.Sprintf("%d lists", st.enumLists)
	}
	r.raise(DetEnumeration, st.enum.start.UTC().Format(time.RFC3339), fmt.Sprintf("%s touched %s within %s", r.id.key, what, c.Within), pathsOf(secret), nil)
}

func (e *Engine) ciContext(r *raiser) {
	rs, ok := e.roles.Get(r.id.role)
	if !ok {
		rs = &roleState{first: r.ev.Time, contexts: newLRU[string, struct{}](e.opt.Limits.ContextsPerRole)}
		e.roles.Put(r.id.role, rs)
	}
	if _, seen := rs.contexts.Get(r.id.ctx); !seen {
		if r.ev.Time.Sub(rs.first) >= e.cfg.LearnFor {
			r.raise(DetNewCIContext, r.id.ctx, fmt.Sprintf("CI role %s used from %s, never seen before", r.id.role, r.id.ctx), pathsOf(secretID(r.ev.Path)), nil)
		}
		rs.contexts.Put(r.id.ctx, struct{}{})
	}
}

// volume counts reads in fixed windows and estimates the count over the
// sliding window that ends now from the current and the previous one (the
// previous weighted by how much of it the sliding window still covers), so
// that a burst across a window boundary counts whole. The baseline is the
// most reads of any earlier window that raised no alert, nor did the window
// after it.
func (e *Engine) volume(r *raiser, learned bool) {
	c := &e.cfg.ReadVolume
	st := r.st
	start := r.ev.Time.Truncate(c.Window)
	if start.After(st.vol.start) {
		done := st.vol
		if !done.alerted {
			// The window before done waited for done to show that it was
			// not the first part of a burst.
			st.maxReads = max(st.maxReads, st.prevReads)
		}
		st.vol, st.prevReads = window{start: start}, 0
		switch {
		case done.start.Add(c.Window).Equal(start):
			// A burst that alerted in done is the same burst here; a
			// window that alerted or was quiet for a burst does not count
			// again in the sliding estimate.
			if !done.alerted {
				st.prevReads = done.n
			}
			st.vol.alerted = done.alerted && !done.carried
			st.vol.carried = st.vol.alerted
		case !done.alerted:
			st.maxReads = max(st.maxReads, done.n)
		}
	}
	st.vol.n++
	frac := float64(r.ev.Time.Sub(start)) / float64(c.Window)
	est := float64(st.vol.n) + float64(st.prevReads)*(1-max(0, min(1, frac)))
	if learned && !st.vol.alerted && est > float64(c.MinReads) && est > c.Factor*float64(st.maxReads) {
		st.vol.alerted = true
		r.raise(DetReadVolume, start.UTC().Format(time.RFC3339), fmt.Sprintf("%s made about %.0f reads within %s; its most before was %d", r.id.key, est, c.Window, st.maxReads), nil, nil)
	}
}

// hours runs unusual_hour and learns the hour of the event.
func (e *Engine) hours(r *raiser, learned bool) {
	c := &e.cfg.UnusualHour
	st := r.st
	h := r.ev.Time.UTC().Hour()
	if learned && st.activeHours >= c.MinHours && !usedHour(st.hours, h, c.Tolerance) &&
		slices.Contains(c.Watch, r.id.kind()) && anyGlob(c.Except, r.id.key) == "" {
		r.raise(DetUnusualHour, fmt.Sprintf("%02d:00", h), fmt.Sprintf("%s made a request at %02d:xx UTC, an hour it never used", r.id.key, h), pathsOf(secretID(r.ev.Path)), nil)
	}
	st.hours |= 1 << h
	if slot := r.ev.Time.Unix() / 3600; slot != st.lastSlot {
		st.lastSlot = slot
		st.activeHours++
	}
}

// usedHour reports whether hour h, or one within tol of it, is set in bits.
func usedHour(bits uint32, h, tol int) bool {
	for d := -tol; d <= tol; d++ {
		if bits&(1<<((h+d+24)%24)) != 0 {
			return true
		}
	}
	return false
}
