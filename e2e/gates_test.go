package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// ci/github/ward-gates.yml is run here as GitHub would run it on a pull
// request: its shell steps in order, with the runner's variables, against a
// ward dev. What only GitHub does is simulated: checkout (the repository is
// already there), the login action (tested in TestGitHubActionFile; here the
// job has a token) and the SARIF upload, which posts the file to a local
// endpoint standing for code scanning. The comment step's curl is the
// file's own and posts to a local endpoint standing for the GitHub API.

type ghWorkflow struct {
	Jobs map[string]struct {
		Env   map[string]string `yaml:"env"`
		Steps []struct {
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// workflowExpr is a ${{ context.name }} expression of a workflow, whose
// names (vars.WARD_ENV) may be upper case.
var workflowExpr = regexp.MustCompile(`\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)

// recorder stands for the platform's API: it keeps every body posted to it
// by path.
type recorder struct {
	mu    sync.Mutex
	posts map[string][]string
}

func newRecorder(t *testing.T) (*recorder, *httptest.Server) {
	r := &recorder{posts: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.posts[req.URL.Path] = append(r.posts[req.URL.Path], string(b))
		r.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *recorder) get(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posts[path]
}

// gatesRepo is a pull request's repository: a base commit with ward.yaml,
// ward/ and one secret the manifest needs, then a commit writing files.
func gatesRepo(t *testing.T, change map[string]string) (dir, base string) {
	t.Helper()
	dir = t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(files map[string]string) {
		for name, text := range files {
			os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	git("init", "-q", "-b", "main")
	write(map[string]string{
		"ward.yaml":                 "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      DB_PASSWORD: {from: payments/db, field: password}\n",
		"ward/policies/ci-api.yaml": "rules:\n  - path: staging/payments/*\n    capabilities: [read]\n",
	})
	git("add", ".")
	git("commit", "-q", "-m", "base")
	base = git("rev-parse", "HEAD")
	write(change)
	git("add", ".")
	git("commit", "-q", "-m", "the pull request")
	return dir, base
}

// runGatesWorkflow runs the workflow's job in repo and returns the output
// and whether the job failed.
func runGatesWorkflow(t *testing.T, s *devServer, api *httptest.Server, repo, base string) (string, bool) {
	t.Helper()
	body, err := os.ReadFile("../ci/github/ward-gates.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf ghWorkflow
	if err := yaml.Unmarshal(body, &wf); err != nil {
		t.Fatalf("ward-gates.yml: %v", err)
	}
	job, ok := wf.Jobs["gates"]
	if !ok {
		t.Fatal("ward-gates.yml has no job gates")
	}
	runner := t.TempDir()
	output := filepath.Join(runner, "GITHUB_OUTPUT")
	ctx := map[string]string{
		"vars.WARD_ENV": "staging", "vars.WARD_ADDR": s.Addr, "vars.WARD_ROLE": "unused",
		"github.event.pull_request.base.sha": base, "github.event.pull_request.number": "42",
		"secrets.GITHUB_TOKEN": "gh-job-token",
	}
	expand := func(v string) string {
		return workflowExpr.ReplaceAllStringFunc(v, func(m string) string {
			key := workflowExpr.FindStringSubmatch(m)[1]
			got, ok := ctx[key]
			if !ok {
				t.Fatalf("ward-gates.yml uses ${{ %s }}, which this simulation does not know", key)
			}
			return got
		})
	}
	bin := t.TempDir()
	os.Symlink(wardBin, filepath.Join(bin, "ward"))
	env := ciEnv("GITHUB_ACTIONS=true", "HOME="+runner, "GITHUB_OUTPUT="+output, "GITHUB_API_URL="+api.URL,
		"GITHUB_REPOSITORY=acme/shop", "WARD_ADDR="+s.Addr, "WARD_TOKEN="+s.Token, "WARD_CONFIG_DIR="+runner,
		"PATH="+bin+":"+os.Getenv("PATH"))
	for k, v := range job.Env {
		env = append(env, k+"="+expand(v))
	}
	var log strings.Builder
	failed := false
	for i, step := range job.Steps {
		switch cond := strings.TrimSpace(step.If); cond {
		case "":
			if failed {
				continue
			}
		case "always()":
		default:
			t.Fatalf("step %d: this simulation cannot evaluate if: %q", i, cond)
		}
		switch {
		case strings.HasPrefix(step.Uses, "actions/checkout@"), strings.HasPrefix(step.Uses, "wardhq/ward/ci/github-action@"):
			continue
		case strings.HasPrefix(step.Uses, "github/codeql-action/upload-sarif@"):
			sarif, err := os.ReadFile(filepath.Join(repo, step.With["sarif_file"]))
			if err != nil {
				failed = true
				log.WriteString("upload-sarif: " + err.Error() + "\n")
				continue
			}
			http.Post(api.URL+"/code-scanning/sarifs", "application/json", strings.NewReader(string(sarif)))
			continue
		case step.Uses != "":
			t.Fatalf("step %d uses %s, which this simulation does not provide", i, step.Uses)
		}
		stepEnv := append([]string(nil), env...)
		for k, v := range step.Env {
			stepEnv = append(stepEnv, k+"="+expand(v))
		}
		os.WriteFile(output, nil, 0o600)
		out, err := shell(t, repo, stepEnv, "set -o pipefail\n"+step.Run)
		log.WriteString(out)
		if err != nil {
			failed = true
		}
		outs, _ := os.ReadFile(output)
		for _, line := range strings.Split(string(outs), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok && step.ID != "" {
				ctx["steps."+step.ID+".outputs."+k] = v
			}
		}
	}
	return log.String(), failed
}

// TestGitHubGatesWorkflow: a clean pull request passes, with its SARIF
// uploaded and its plan, access diff included, posted as a comment; one that
// commits a token, or whose manifest needs a secret nobody wrote, fails.
func TestGitHubGatesWorkflow(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the workflow's steps need %s, which this machine lacks", tool)
		}
	}
	s := startDev(t, "")
	s.mustWard(`{"password":"gates-canary-pw"}`, "kv", "put", "--env", "staging", "payments/db")
	widen := map[string]string{"ward/policies/ci-api.yaml": "rules:\n  - path: staging/payments/*\n    capabilities: [read]\n  - path: prod/payments/*\n    capabilities: [read]\n"}

	t.Run("clean", func(t *testing.T) {
		rec, api := newRecorder(t)
		repo, base := gatesRepo(t, widen)
		out, failed := runGatesWorkflow(t, s, api, repo, base)
		if failed {
			t.Fatalf("a clean pull request failed:\n%s", out)
		}
		comments := rec.get("/repos/acme/shop/issues/42/comments")
		if len(comments) != 1 {
			t.Fatalf("want one plan comment, got %d:\n%s", len(comments), out)
		}
		var c struct{ Body string }
		if err := json.Unmarshal([]byte(comments[0]), &c); err != nil {
			t.Fatalf("comment body: %v: %s", err, comments[0])
		}
		if !strings.Contains(c.Body, "- `ci-api` **gains** `read` on `prod/payments/*`") {
			t.Errorf("the comment lacks the access diff:\n%s", c.Body)
		}
		if sarifs := rec.get("/code-scanning/sarifs"); len(sarifs) != 1 || !strings.Contains(sarifs[0], `"version": "2.1.0"`) {
			t.Errorf("want one SARIF upload, got %v", sarifs)
		}
		if strings.Contains(out, "gates-canary-pw") {
			t.Error("the job's output shows a secret")
		}
	})
	t.Run("a committed token", func(t *testing.T) {
		rec, api := newRecorder(t)
		repo, base := gatesRepo(t, map[string]string{"app.env": "GITHUB_TOKEN=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\n"})
		out, failed := runGatesWorkflow(t, s, api, repo, base)
		if !failed || !strings.Contains(out, "the scan found credentials") {
			t.Fatalf("want the job to fail on the scan:\n%s", out)
		}
		if sarifs := rec.get("/code-scanning/sarifs"); len(sarifs) != 1 || !strings.Contains(sarifs[0], "app.env") {
			t.Errorf("want the finding uploaded, got %v", sarifs)
		}
	})
	t.Run("a secret nobody wrote", func(t *testing.T) {
		_, api := newRecorder(t)
		repo, base := gatesRepo(t, map[string]string{"ward.yaml": "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n" +
			"      DB_PASSWORD: {from: payments/db, field: password}\n      STRIPE_KEY: {from: payments/stripe, field: key}\n"})
		out, failed := runGatesWorkflow(t, s, api, repo, base)
		if !failed || !strings.Contains(out, "payments/stripe") {
			t.Fatalf("want ward check to fail naming payments/stripe:\n%s", out)
		}
	})
}

// runGitLabGatesJob runs ci/gitlab/ward-gates.gitlab-ci.yml's job in repo
// as GitLab would on a merge request: its script in one shell with the
// job's variables. The login it extends is tested in
// TestGitLabTemplateFile; here the job has a token.
func runGitLabGatesJob(t *testing.T, s *devServer, api *httptest.Server, repo, base string) (string, bool) {
	t.Helper()
	body, err := os.ReadFile("../ci/gitlab/ward-gates.gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var jobs map[string]struct {
		Extends   string            `yaml:"extends"`
		Variables map[string]string `yaml:"variables"`
		Script    []string          `yaml:"script"`
		Artifacts struct {
			When  string   `yaml:"when"`
			Paths []string `yaml:"paths"`
		} `yaml:"artifacts"`
	}
	if err := yaml.Unmarshal(body, &jobs); err != nil {
		t.Fatalf("ward-gates.gitlab-ci.yml: %v", err)
	}
	job, ok := jobs["ward-gates"]
	if !ok || job.Extends != ".ward-login" || job.Artifacts.When != "always" {
		t.Fatalf("want a job ward-gates extending .ward-login with artifacts kept always: %+v", job)
	}
	bin := t.TempDir()
	os.Symlink(wardBin, filepath.Join(bin, "ward"))
	env := ciEnv("GITLAB_CI=true", "HOME="+t.TempDir(), "CI_PIPELINE_SOURCE=merge_request_event",
		"CI_MERGE_REQUEST_DIFF_BASE_SHA="+base, "CI_API_V4_URL="+api.URL+"/api/v4", "CI_PROJECT_ID=7",
		"CI_MERGE_REQUEST_IID=42", "WARD_GITLAB_TOKEN=gl-project-token", "WARD_ENV=staging",
		"WARD_ADDR="+s.Addr, "WARD_TOKEN="+s.Token, "WARD_CONFIG_DIR="+t.TempDir(), "PATH="+bin+":"+os.Getenv("PATH"))
	for k, v := range job.Variables {
		env = append(env, k+"="+v)
	}
	out, err := shell(t, repo, env, strings.Join(job.Script, "\n"))
	for _, a := range job.Artifacts.Paths {
		if _, err := os.Stat(filepath.Join(repo, a)); err != nil {
			out += "artifact missing: " + a + "\n"
		}
	}
	return out, err != nil
}

// TestGitLabGatesJob: the same three pull requests as
// TestGitHubGatesWorkflow, as merge requests.
func TestGitLabGatesJob(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the job's script needs %s, which this machine lacks", tool)
		}
	}
	s := startDev(t, "")
	s.mustWard(`{"password":"gates-canary-pw"}`, "kv", "put", "--env", "staging", "payments/db")
	const notes = "/api/v4/projects/7/merge_requests/42/notes"

	rec, api := newRecorder(t)
	repo, base := gatesRepo(t, map[string]string{"ward/policies/ci-api.yaml": "rules:\n  - path: staging/payments/*\n    capabilities: [read]\n  - path: prod/payments/*\n    capabilities: [read]\n"})
	out, failed := runGitLabGatesJob(t, s, api, repo, base)
	if failed || strings.Contains(out, "artifact missing") {
		t.Fatalf("a clean merge request failed:\n%s", out)
	}
	posted := rec.get(notes)
	if len(posted) != 1 {
		t.Fatalf("want one note, got %d:\n%s", len(posted), out)
	}
	form, err := url.ParseQuery(posted[0])
	if err != nil || !strings.Contains(form.Get("body"), "- `ci-api` **gains** `read` on `prod/payments/*`") {
		t.Errorf("the note lacks the access diff (%v):\n%s", err, posted[0])
	}
	if strings.Contains(out, "gates-canary-pw") {
		t.Error("the job's output shows a secret")
	}

	_, api = newRecorder(t)
	repo, base = gatesRepo(t, map[string]string{"app.env": "GITHUB_TOKEN=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\n"})
	out, failed = runGitLabGatesJob(t, s, api, repo, base)
	sarif, _ := os.ReadFile(filepath.Join(repo, "ward.sarif"))
	if !failed || !strings.Contains(out, "the scan found credentials") || !strings.Contains(string(sarif), "app.env") {
		t.Fatalf("want the job to fail on the scan, with the finding in ward.sarif:\n%s", out)
	}

	_, api = newRecorder(t)
	repo, base = gatesRepo(t, map[string]string{"ward.yaml": "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n" +
		"      DB_PASSWORD: {from: payments/db, field: password}\n      STRIPE_KEY: {from: payments/stripe, field: key}\n"})
	out, failed = runGitLabGatesJob(t, s, api, repo, base)
	if !failed || !strings.Contains(out, "payments/stripe") {
		t.Fatalf("want ward check to fail naming payments/stripe:\n%s", out)
	}
}
