package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// request is one request the vault answered: it becomes a request line and
// a response line in the log.
type request struct {
	t          time.Time
	identity   string
	token      string // raw token; the log holds its HMAC
	env        string
	path       string
	op         string
	addr       string
	status     int
	errText    string
	meta       map[string]string
	policies   []string
	incident   int // 1-based index into the incidents; 0 for normal traffic
	dataLogged bool
}

func (r *request) entries(id string) (*audit.Entry, *audit.Entry) {
	req := &audit.Entry{
		Time: r.t, Type: "request", RequestID: id, Identity: r.identity, Token: r.token,
		Accessor: accessorOf(r.token), Policies: r.policies, Environment: r.env, Path: r.path,
		Operation: r.op, RemoteAddr: r.addr, Meta: r.meta,
	}
	resp := *req
	resp.Type, resp.Status, resp.Error = "response", r.status, r.errText
	if r.status == 200 && r.op == "read" {
		resp.Data = map[string]any{"data": map[string]any{"password": "value-never-logged", "user": "app"}}
	}
	return req, &resp
}

func accessorOf(token string) string {
	if token == "" {
		return ""
	}
	return "acc-" + token
}

// repo is a Go or Rust repository with its CI.
type repo struct {
	name    string // org/name
	lang    string
	secrets map[string][]string // env -> secret paths the pipelines read
	nightly int                 // hour (UTC) of the nightly job
	team    []*human
}

type human struct {
	name   string
	tz     int // offset from UTC in hours
	ops    bool
	repos  []*repo
	reads  []string // ENV/PATH the human reads by hand
	addr   string
	ticket int
}

type service struct {
	name  string
	token string
	addr  string
	reads []string // ENV/PATH
	every time.Duration
}

// world is an organisation: repositories, people, services.
type world struct {
	rnd      *rand.Rand
	repos    []*repo
	humans   []*human
	services []*service
	start    time.Time
	runID    int
	tokenN   int
	prN      int
	kindN    map[string]int // incidents planted, by kind
}

var goSecrets = []string{"db", "redis", "stripe", "sentry", "jwt-signing", "smtp", "s3", "oauth-client"}
var rustSecrets = []string{"db", "kafka", "sentry", "tls-cert", "object-store", "signing-key", "clickhouse"}

func newWorld(seed uint64, nRepos, nHumans int, start time.Time) *world {
	w := &world{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), start: start}
	goNames := []string{"api", "billing", "gateway", "auth", "notifier", "scheduler", "ledger", "admin", "webhooks", "reports"}
	rustNames := []string{"indexer", "ingest", "search", "compactor", "router", "tracer", "blobd", "crawler", "ranker", "vectord"}
	for i := range nRepos {
		r := &repo{secrets: map[string][]string{}, nightly: 1 + w.rnd.IntN(4)}
		pool := goSecrets
		if i%2 == 0 {
			r.name, r.lang = "octo/"+goNames[(i/2)%len(goNames)], "go"
		} else {
			r.name, r.lang, pool = "octo/"+rustNames[(i/2)%len(rustNames)], "rust", rustSecrets
		}
		short := r.name[len("octo/"):]
		for _, env := range []string{"dev", "staging", "prod"} {
			n := 3 + w.rnd.IntN(4)
			for _, s := range pool[:n] {
				r.secrets[env] = append(r.secrets[env], short+"/"+s)
			}
			r.secrets[env] = append(r.secrets[env], "shared/registry-token")
		}
		w.repos = append(w.repos, r)
	}
	tzs := []int{0, 1, 1, 2, -5, -5, -8, 5}
	for i := range nHumans {
		h := &human{name: fmt.Sprintf("dev%02d", i), tz: tzs[w.rnd.IntN(len(tzs))], addr: fmt.Sprintf("198.51.%d.%d", 100+i/200, 10+i%200)}
		if i < 3 {
			h.name, h.ops = fmt.Sprintf("ops%d", i), true
		}
		r := w.repos[i%len(w.repos)]
		h.repos = []*repo{r}
		r.team = append(r.team, h)
		for _, env := range []string{"dev", "staging"} {
			for _, s := range r.secrets[env][:2] {
				h.reads = append(h.reads, env+"/"+s)
			}
		}
		if h.ops {
			for _, r := range w.repos[:min(4, len(w.repos))] {
				h.reads = append(h.reads, "prod/"+r.secrets["prod"][0])
			}
		}
		w.humans = append(w.humans, h)
	}
	for i, name := range []string{"metrics-exporter", "backup-agent", "cert-renewer", "feature-flags", "billing-sync", "search-warmer"} {
		s := &service{name: "token-" + name, token: fmt.Sprintf("hvs.svc-%d-%x", i, w.rnd.Uint64()), addr: fmt.Sprintf("10.20.0.%d", 10+i), every: 5 * time.Minute}
		r := w.repos[i%len(w.repos)]
		for _, p := range r.secrets["prod"][:3] {
			s.reads = append(s.reads, "prod/"+p)
		}
		w.services = append(w.services, s)
	}
	return w
}

func (w *world) newToken() string {
	w.tokenN++
	return fmt.Sprintf("hvs.%d%x", w.tokenN, w.rnd.Uint64())
}

func (w *world) runnerAddr() string {
	return fmt.Sprintf("20.%d.%d.%d", 40+w.rnd.IntN(20), w.rnd.IntN(256), 1+w.rnd.IntN(254))
}

// ciJob is one CI job: login, one batched fetch (logged secret by secret)
// and the revocation of its token.
type ciJob struct {
	repo     *repo
	env      string
	ref      string
	workflow string
	role     string
	event    string
	actor    string
	t        time.Time
}

func (w *world) ciMeta(j *ciJob) map[string]string {
	w.runID++
	sub := "repo:" + j.repo.name + ":ref:" + j.ref
	if j.event == "pull_request" {
		sub = "repo:" + j.repo.name + ":pull_request"
	}
	return map[string]string{
		"role": j.role, "issuer": "https://token.actions.githubusercontent.com", "subject": sub,
		"ci_platform": "github", "ci_repository": j.repo.name, "ci_owner": "octo", "ci_ref": j.ref,
		"ci_sha": fmt.Sprintf("%040x", w.rnd.Uint64()), "ci_workflow": j.repo.name + "/.github/workflows/" + j.workflow + "@" + j.ref,
		"ci_run_id": fmt.Sprint(9_000_000 + w.runID), "ci_run_attempt": "1", "ci_event": j.event, "ci_actor": j.actor,
	}
}

// job emits the requests of a CI job; extra reads (ENV/PATH) are appended
// to the declared ones.
func (w *world) job(j *ciJob, out []request, extra ...string) []request {
	meta := w.ciMeta(j)
	tok, addr := w.newToken(), w.runnerAddr()
	display := "jwt-" + meta["subject"]
	pol := []string{j.role}
	t := j.t
	out = append(out, request{t: t, path: "auth/jwt/login", op: "update", addr: addr, status: 200})
	t = t.Add(time.Duration(200+w.rnd.IntN(800)) * time.Millisecond)
	base := request{identity: display, token: tok, env: j.env, addr: addr, meta: meta, policies: pol}
	fetch := base
	fetch.t, fetch.path, fetch.op, fetch.status = t, "sys/ward/fetch/"+j.env, "fetch", 200
	out = append(out, fetch)
	for _, p := range j.repo.secrets[j.env] {
		r := base
		r.t, r.path, r.op, r.status = t, j.env+"/data/"+p, "read", 200
		out = append(out, r)
	}
	for _, id := range extra {
		env, p, _ := cut(id)
		r := base
		r.t, r.path, r.op, r.status = t.Add(time.Second), env+"/data/"+p, "read", 200
		out = append(out, r)
	}
	end := base
	end.t = t.Add(time.Duration(60+w.rnd.IntN(600)) * time.Second)
	end.path, end.op, end.status = "auth/token/revoke-self", "update", 204
	return append(out, end)
}

func cut(id string) (env, path string, ok bool) {
	for i := 0; i < len(id); i++ {
		if id[i] == '/' {
			return id[:i], id[i+1:], true
		}
	}
	return "", id, false
}

// working reports whether local hour h on weekday wd is in working hours.
func working(t time.Time, tz int) bool {
	l := t.Add(time.Duration(tz) * time.Hour)
	wd := l.Weekday()
	return wd != time.Saturday && wd != time.Sunday && l.Hour() >= 9 && l.Hour() < 18
}

// workTime returns a random time within the human's working hours on day d
// (local), as UTC.
func (w *world) workTime(day time.Time, tz int) time.Time {
	local := day.Add(time.Duration(9*3600+w.rnd.IntN(9*3600)) * time.Second)
	return local.Add(-time.Duration(tz) * time.Hour)
}

// day generates the normal traffic of one day.
func (w *world) day(d time.Time, pushesPerDev float64) []request {
	var out []request
	weekday := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
	for _, h := range w.humans {
		if !weekday {
			continue
		}
		r := h.repos[0]
		// Pull request pushes: ci.yml, a matrix of three jobs, in dev.
		pushes := w.poisson(pushesPerDev)
		if h.ops {
			pushes = 0
		}
		for range pushes {
			w.prN++
			t := w.workTime(d, h.tz)
			ref := fmt.Sprintf("refs/pull/%d/merge", w.prN)
			for range 3 {
				out = w.job(&ciJob{repo: r, env: "dev", ref: ref, workflow: "ci.yml", role: roleName(r, "ci"), event: "pull_request", actor: h.name, t: t.Add(time.Duration(w.rnd.IntN(30)) * time.Second)}, out)
			}
		}
		// Merges: ci.yml on main, then deploy.yml to staging and prod.
		if !h.ops && w.rnd.Float64() < 0.7 {
			t := w.workTime(d, h.tz)
			main := "refs/heads/main"
			out = w.job(&ciJob{repo: r, env: "dev", ref: main, workflow: "ci.yml", role: roleName(r, "ci"), event: "push", actor: h.name, t: t}, out)
			out = w.job(&ciJob{repo: r, env: "staging", ref: main, workflow: "deploy.yml", role: roleName(r, "deploy-staging"), event: "push", actor: h.name, t: t.Add(8 * time.Minute)}, out)
			out = w.job(&ciJob{repo: r, env: "prod", ref: main, workflow: "deploy.yml", role: roleName(r, "deploy-prod"), event: "push", actor: h.name, t: t.Add(20 * time.Minute)}, out)
		}
		out = w.humanDay(h, d, out)
	}
	for _, r := range w.repos {
		t := d.Add(time.Duration(r.nightly)*time.Hour + time.Duration(w.rnd.IntN(600))*time.Second)
		out = w.job(&ciJob{repo: r, env: "staging", ref: "refs/heads/main", workflow: "nightly.yml", role: roleName(r, "nightly"), event: "schedule", actor: "github-actions", t: t}, out)
		if d.Weekday() == time.Thursday && len(r.team) > 0 {
			tag := fmt.Sprintf("refs/tags/v1.%d.0", d.YearDay())
			out = w.job(&ciJob{repo: r, env: "prod", ref: tag, workflow: "release.yml", role: roleName(r, "release"), event: "push", actor: r.team[0].name, t: w.workTime(d, r.team[0].tz)}, out)
		}
	}
	for _, s := range w.services {
		jitter := time.Duration(w.rnd.IntN(60)) * time.Second
		for t := d.Add(jitter); t.Before(d.Add(24 * time.Hour)); t = t.Add(s.every) {
			for _, id := range s.reads {
				env, p, _ := cut(id)
				out = append(out, request{t: t, identity: s.name, token: s.token, env: env, path: env + "/data/" + p, op: "read", addr: s.addr, status: 200, policies: []string{"svc"}})
			}
		}
	}
	for _, h := range w.humans {
		if h.ops && w.rnd.Float64() < 1.0/7 {
			// Paged at night: an on-call engineer reads a prod secret.
			t := d.Add(time.Duration(w.rnd.IntN(24*3600)) * time.Second)
			out = w.humanReads(h, t, 1+w.rnd.IntN(3), out)
		}
	}
	slices.SortStableFunc(out, func(a, b request) int { return a.t.Compare(b.t) })
	return out
}

func roleName(r *repo, what string) string { return r.name[len("octo/"):] + "-" + what }

// humanDay is one working day of a human at the vault: sign in, a few
// reads of the usual secrets, now and then a list, now and then a denial.
func (w *world) humanDay(h *human, d time.Time, out []request) []request {
	for range 1 + w.rnd.IntN(2) {
		out = w.humanReads(h, w.workTime(d, h.tz), 2+w.rnd.IntN(7), out)
	}
	return out
}

// humanReads is one session of a human: a sign-in to one environment (a
// token is bound to one) and n reads of the usual secrets there, now and
// then a list, now and then a denial.
func (w *world) humanReads(h *human, t time.Time, n int, out []request) []request {
	env, _, _ := cut(h.reads[w.rnd.IntN(len(h.reads))])
	var reads []string
	for _, id := range h.reads {
		if e, p, _ := cut(id); e == env {
			reads = append(reads, p)
		}
	}
	tok := w.newToken()
	out = append(out, request{t: t, path: "auth/userpass/login/" + h.name, op: "update", addr: h.addr, status: 200})
	base := request{identity: "userpass-" + h.name, token: tok, env: env, addr: h.addr, meta: map[string]string{"ward_identity": h.name}, policies: []string{"developer"}}
	for i := range n {
		r := base
		r.t, r.path, r.op, r.status = t.Add(time.Duration(i*40+w.rnd.IntN(30))*time.Second), env+"/data/"+reads[w.rnd.IntN(len(reads))], "read", 200
		out = append(out, r)
	}
	if w.rnd.Float64() < 0.2 {
		r := base
		r.t, r.path, r.op, r.status = t.Add(5*time.Minute), env+"/metadata/"+h.repos[0].name[5:]+"/", "list", 200
		out = append(out, r)
	}
	if w.rnd.Float64() < 0.05 {
		r := base
		r.t, r.path, r.op, r.status, r.errText = t.Add(6*time.Minute), env+"/data/shared/root-ca", "read", 403, "permission denied: read on "+env+"/shared/root-ca"
		out = append(out, r)
	}
	return out
}

func (w *world) poisson(mean float64) int {
	// Knuth's method; the means here are small.
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= w.rnd.Float64()
		if p < l {
			return k
		}
		k++
	}
}
