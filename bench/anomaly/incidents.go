package main

import (
	"fmt"
	"time"

	"github.com/wardhq/ward/internal/detect"
)

// incident is one planted misuse and the detector that should report it.
type incident struct {
	kind       string // the detector expected to fire
	display    string // the token display name the alert should carry
	start, end time.Time
	desc       string
}

// plant adds the requests of one incident of kind on day d and returns it.
func (w *world) plant(kind string, d time.Time, out []request) ([]request, incident) {
	// Each incident of a kind has identities of its own, so that no two
	// are one alert by right (deduplicated, or learned from the first).
	if w.kindN == nil {
		w.kindN = map[string]int{}
	}
	k := w.kindN[kind]
	w.kindN[kind]++
	r := w.repos[k%len(w.repos)]
	var devs []*human
	for _, h := range w.humans {
		if !h.ops {
			devs = append(devs, h)
		}
	}
	h := devs[(k*7+3)%len(devs)]
	svc := w.services[k%len(w.services)]
	t := w.workTime(d, h.tz)
	main := "refs/heads/main"
	inc := incident{kind: kind, start: t}
	first := len(out)
	switch kind {
	case detect.DetFirstRead:
		other := w.repos[(indexOf(w.repos, r)+1+k/len(w.repos))%len(w.repos)]
		out = w.job(&ciJob{repo: r, env: "prod", ref: main, workflow: "deploy.yml", role: roleName(r, "deploy-prod"), event: "push", actor: h.name, t: t}, out, "prod/"+other.secrets["prod"][0])
		inc.display, inc.desc = "jwt-repo:"+r.name+":ref:"+main, "a deploy job reads another repository's prod secret"
	case detect.DetNewCIContext:
		fork := *r
		wf := "deploy.yml"
		if k%2 == 0 {
			fork.name = fmt.Sprintf("fork%d/%s", k, r.name[len("octo/"):])
		} else {
			wf = fmt.Sprintf("debug-%d.yml", k)
		}
		out = w.job(&ciJob{repo: &fork, env: "prod", ref: main, workflow: wf, role: roleName(r, "deploy-prod"), event: "push", actor: "outsider", t: t}, out)
		inc.display, inc.desc = "jwt-repo:"+fork.name+":ref:"+main, "a prod deploy role used from a fork or an unknown workflow"
	case detect.DetCrossEnv:
		w.prN++
		ref := fmt.Sprintf("refs/pull/%d/merge", w.prN)
		out = w.job(&ciJob{repo: r, env: "dev", ref: ref, workflow: "ci.yml", role: roleName(r, "ci"), event: "pull_request", actor: h.name, t: t}, out)
		last := out[len(out)-2] // a read of the job, with its token
		for i := range 1 + w.rnd.IntN(3) {
			x := last
			x.t, x.env, x.path, x.status = t.Add(time.Duration(30+i)*time.Second), "", "prod/data/"+r.secrets["prod"][i%len(r.secrets["prod"])], 403
			x.errText = "permission denied: this token is bound to another environment"
			out = append(out, x)
		}
		inc.display, inc.desc = "jwt-repo:"+r.name+":pull_request", "a pull request's dev token asks for prod secrets"
	case detect.DetDenialBurst:
		for i := range 12 + w.rnd.IntN(15) {
			out = append(out, request{t: t.Add(time.Duration(i*3) * time.Second), identity: svc.name, token: svc.token, env: "prod",
				path: fmt.Sprintf("prod/data/%s/db", w.repos[i%len(w.repos)].name[len("octo/"):]), op: "read", addr: svc.addr, status: 403,
				errText: "permission denied: read on prod/...", policies: []string{"svc"}})
		}
		inc.display, inc.desc = svc.name, "a service token tries secrets it may not read"
	case detect.DetEnumeration:
		tok := w.newToken()
		for i := range 35 + w.rnd.IntN(20) {
			rr := w.repos[i%len(w.repos)]
			out = append(out, request{t: t.Add(time.Duration(i*4) * time.Second), identity: "userpass-" + h.name, token: tok, env: "staging",
				path: fmt.Sprintf("staging/metadata/%s/%d/", rr.name[len("octo/"):], i), op: "list", addr: h.addr, status: 200,
				meta: map[string]string{"ward_identity": h.name}, policies: []string{"developer"}})
		}
		inc.display, inc.desc = "userpass-"+h.name, "a user lists the secrets tree"
	case detect.DetReadVolume:
		for i := range 400 + w.rnd.IntN(400) {
			id := svc.reads[i%len(svc.reads)]
			env, p, _ := cut(id)
			out = append(out, request{t: t.Add(time.Duration(i) * time.Second), identity: svc.name, token: svc.token, env: env,
				path: env + "/data/" + p, op: "read", addr: svc.addr, status: 200, policies: []string{"svc"}})
		}
		inc.display, inc.desc = svc.name, "a service token reads its secrets in a tight loop"
	case detect.DetUnusualHour:
		local := d.Add(time.Duration(2*3600+w.rnd.IntN(2*3600)) * time.Second)
		t = local.Add(-time.Duration(h.tz) * time.Hour)
		inc.start = t
		out = w.humanReads(h, t, 1+w.rnd.IntN(2), out)
		inc.display, inc.desc = "userpass-"+h.name, "a developer's account reads secrets in the middle of the night"
	case detect.DetTokenAddresses:
		out = w.job(&ciJob{repo: r, env: "staging", ref: main, workflow: "deploy.yml", role: roleName(r, "deploy-staging"), event: "push", actor: h.name, t: t}, out)
		stolen := out[len(out)-2]
		stolen.t, stolen.addr = t.Add(2*time.Minute), fmt.Sprintf("203.0.113.%d:443", 1+w.rnd.IntN(250))
		out = append(out, stolen)
		inc.display, inc.desc = "jwt-repo:"+r.name+":ref:"+main, "a CI job's token replayed from another address"
	case detect.DetSensitivePath:
		p := "prod/data/break-glass/root"
		if k%2 == 1 {
			p = "staging/data/legacy/" + r.name[len("octo/"):] + "-db"
		}
		env, _, _ := cut(p)
		tok := w.newToken()
		out = append(out, request{t: t, identity: "userpass-" + h.name, token: tok, env: env, path: p, op: "read", addr: h.addr, status: 200,
			meta: map[string]string{"ward_identity": h.name}, policies: []string{"developer"}})
		inc.display, inc.desc = "userpass-"+h.name, "a read of a break-glass or retired secret"
	}
	inc.end = inc.start
	for i := first; i < len(out); i++ {
		out[i].incident = 1
		if out[i].t.After(inc.end) {
			inc.end = out[i].t
		}
	}
	return out, inc
}

func indexOf(rs []*repo, r *repo) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}
