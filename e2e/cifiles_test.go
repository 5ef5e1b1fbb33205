package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// The CI files in ci/ are run here as the platforms would run them: their
// shell steps, in order, with the platform's variables, its OIDC token
// service, and a release server holding an archive of the ward under test.
// Only what the platform itself does (the cache action, expression syntax
// beyond what the files use) is simulated; every line of shell is the file's.

const ciVersion = "v9.9.9"

// ciPlatform is what a CI job on this machine would see: a ward server with
// JWT login set up for GitHub and GitLab, an OIDC issuer, a release server
// and a two-component ward.yaml.
type ciPlatform struct {
	s        *devServer
	iss      *oidctest.Issuer
	releases *httptest.Server
	repo     string // the checked-out repository, with ward.yaml
	archive  string // the release archive's name for this machine
	sum      string // its SHA-256
	tamper   atomic.Bool
}

func newCIPlatform(t *testing.T) *ciPlatform {
	t.Helper()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skipf("the CI files are simulated on linux/amd64 and linux/arm64 only, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	for _, tool := range []string{"bash", "curl", "sha256sum", "tar", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the CI files' steps need %s, which this machine lacks", tool)
		}
	}
	p := &ciPlatform{s: startDev(t, ""), iss: oidctest.New()}
	t.Cleanup(p.iss.Close)

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ci.yaml"), []byte("rules:\n  - path: staging/payments/*\n    capabilities: [read]\n"), 0o600)
	p.s.mustWard("", "policy", "write", "ci-staging", "-f", filepath.Join(dir, "ci.yaml"))
	p.s.mustWard(`{"password":"ci-files-canary-pw"}`, "kv", "put", "--env", "staging", "payments/db")
	root := vaultClient(t, p.s, p.s.Token)
	for path, body := range map[string]map[string]any{
		"auth/jwt/config": {"oidc_discovery_url": p.iss.URL},
		"auth/jwt/role/gh-staging": {"bound_audiences": "https://ward.example.com",
			"bound_claims": map[string]any{"repository": "acme/shop"}, "token_policies": "ci-staging",
			"token_ttl": "10m", "environment": "staging"},
		"auth/jwt/role/gl-staging": {"bound_audiences": "https://ward.example.com",
			"bound_claims": map[string]any{"project_path": "acme/shop"}, "token_policies": "ci-staging",
			"token_ttl": "10m", "environment": "staging"},
	} {
		if _, err := root.Logical().Write(path, body); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}

	// A Go + Rust repository: two components, so ward run needs --component.
	p.repo = t.TempDir()
	os.WriteFile(filepath.Join(p.repo, "ward.yaml"), []byte(`version: 1
components:
  api:
    language: go
    env:
      DB_PASSWORD: {from: payments/db, field: password}
  worker:
    language: rust
    files:
      db/password: {from: payments/db, field: password}
`), 0o600)

	// The release files, as tools/release names them.
	name := fmt.Sprintf("ward_%s_linux_%s", ciVersion, runtime.GOARCH)
	p.archive = name + ".tar.gz"
	archive := tarGz(t, name+"/ward", wardBin)
	sum := sha256.Sum256(archive)
	p.sum = hex.EncodeToString(sum[:])
	sums := fmt.Sprintf("%s  %s\n", p.sum, p.archive)
	p.releases = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/" + ciVersion + "/SHA256SUMS":
			w.Write([]byte(sums))
		case "/" + ciVersion + "/" + p.archive:
			if p.tamper.Load() {
				w.Write(append(bytes.Clone(archive), 0))
				return
			}
			w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.releases.Close)
	return p
}

func tarGz(t *testing.T, name, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// ciEnv is the environment every simulated job starts from: this process's,
// without anything ward would read, plus the platform's variables.
func ciEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "WARD_") || strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "ACTIONS_") ||
			strings.HasPrefix(k, "RUNNER_") || strings.HasPrefix(k, "CI_") || k == "GITLAB_CI" || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// shell runs script with bash as a CI step does and returns its output.
func shell(t *testing.T, dir string, env []string, script string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ghAction is the composite action as GitHub reads it.
type ghAction struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Steps []struct {
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Env  map[string]string `yaml:"env"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

var ghExpr = regexp.MustCompile(`\$\{\{\s*([a-z0-9_.-]+)\s*\}\}`)

// runGitHubAction runs ci/github-action/action.yml's steps with the given
// inputs, as the runner would: expressions expanded, GITHUB_OUTPUT read back
// into steps.ID.outputs, GITHUB_ENV and GITHUB_PATH applied to the steps
// after the action. It returns the environment a later step of the job sees.
func (p *ciPlatform) runGitHubAction(t *testing.T, actionRef string, inputs map[string]string) ([]string, error) {
	t.Helper()
	body, err := os.ReadFile("../ci/github-action/action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a ghAction
	if err := yaml.Unmarshal(body, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	runner := t.TempDir()
	files := map[string]string{}
	for _, f := range []string{"GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT"} {
		files[f] = filepath.Join(runner, f)
		os.WriteFile(files[f], nil, 0o600)
	}
	temp, toolCache := filepath.Join(runner, "temp"), filepath.Join(runner, "tool-cache")
	os.MkdirAll(temp, 0o700)
	os.MkdirAll(toolCache, 0o755)

	// GitHub Actions' token service, as the runner sees it.
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer runner-request-token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		jwt := p.iss.Sign(p.iss.GitHub(oidctest.GitHubJob{Audience: r.URL.Query().Get("audience"), Repository: "acme/shop"}))
		fmt.Fprintf(w, `{"count":1,"value":%q}`, jwt)
	}))
	t.Cleanup(tokens.Close)

	ctx := map[string]string{
		"github.action_ref": actionRef,
		"runner.tool_cache": toolCache,
	}
	for name, in := range a.Inputs {
		ctx["inputs."+name] = in.Default
	}
	for name, v := range inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("action.yml has no input %q", name)
		}
		ctx["inputs."+name] = v
	}
	expand := func(s string) string {
		return ghExpr.ReplaceAllStringFunc(s, func(m string) string {
			key := ghExpr.FindStringSubmatch(m)[1]
			v, ok := ctx[key]
			if !ok && !strings.HasPrefix(key, "steps.") {
				t.Fatalf("action.yml uses ${{ %s }}, which this simulation does not know", key)
			}
			return v
		})
	}
	base := ciEnv("GITHUB_ACTIONS=true", "RUNNER_OS=Linux", "RUNNER_ARCH="+map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH],
		"RUNNER_TEMP="+temp, "RUNNER_TOOL_CACHE="+toolCache, "HOME="+runner,
		"ACTIONS_ID_TOKEN_REQUEST_URL="+tokens.URL+"/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=runner-request-token",
		"GITHUB_ENV="+files["GITHUB_ENV"], "GITHUB_PATH="+files["GITHUB_PATH"], "GITHUB_OUTPUT="+files["GITHUB_OUTPUT"])

	for i, step := range a.Runs.Steps {
		switch cond := strings.TrimSpace(step.If); {
		case cond == "":
		case regexp.MustCompile(`^inputs\.[a-z-]+ == ''$`).MatchString(cond):
			if ctx[strings.TrimSuffix(cond, " == ''")] != "" {
				continue
			}
		default:
			t.Fatalf("step %d: this simulation cannot evaluate if: %q", i, cond)
		}
		if step.Uses != "" {
			if !strings.HasPrefix(step.Uses, "actions/cache@") {
				t.Fatalf("step %d uses %s, which this simulation does not provide", i, step.Uses)
			}
			continue // the cache starts empty, and what it would save is checked on every run
		}
		env := append([]string(nil), base...)
		for k, v := range step.Env {
			env = append(env, k+"="+expand(v))
		}
		out, err := shell(t, p.repo, env, expand(step.Run))
		t.Logf("action step %d:\n%s", i, out)
		if err != nil {
			return nil, fmt.Errorf("step %d: %v\n%s", i, err, out)
		}
		outputs, _ := os.ReadFile(files["GITHUB_OUTPUT"])
		for _, line := range strings.Split(string(outputs), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok && step.ID != "" {
				ctx["steps."+step.ID+".outputs."+k] = v
			}
		}
		os.WriteFile(files["GITHUB_OUTPUT"], nil, 0o600)
	}

	// A later step of the job: GITHUB_ENV and GITHUB_PATH applied.
	job := append([]string(nil), base...)
	envFile, _ := os.ReadFile(files["GITHUB_ENV"])
	job = append(job, strings.Fields(string(envFile))...)
	pathFile, _ := os.ReadFile(files["GITHUB_PATH"])
	path := strings.Join(strings.Fields(string(pathFile)), ":")
	job = append(job, "PATH="+path+":"+os.Getenv("PATH"))
	return job, nil
}

// TestGitHubActionFile: the action installs the release (checksum checked,
// no Go toolchain touched), logs the job in, and the README's two-component
// commands then run; a damaged archive, a wrong pin or an action used at a
// branch fails before anything is run.
func TestGitHubActionFile(t *testing.T) {
	p := newCIPlatform(t)
	inputs := map[string]string{"address": p.s.Addr, "role": "gh-staging", "audience": "https://ward.example.com",
		"release-url": p.releases.URL, "sha256": p.sum}

	job, err := p.runGitHubAction(t, ciVersion, inputs)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{
		`ward run --env staging --component api -- sh -c '[ -n "$DB_PASSWORD" ]'`,
		`ward run --env staging --component worker -- sh -c '[ -s "$WARD_SECRETS_DIR/db/password" ]'`,
		`ward token revoke --self`,
	} {
		if out, err := shell(t, p.repo, job, step); err != nil {
			t.Fatalf("job step %q: %v\n%s", step, err, out)
		}
	}
	if out, err := shell(t, p.repo, job, `ward kv get --env staging payments/db`); err == nil {
		t.Fatalf("the revoked token still reads:\n%s", out)
	}

	for name, c := range map[string]struct {
		ref    string
		inputs map[string]string
		tamper bool
		want   string
	}{
		"damaged archive":  {ref: ciVersion, tamper: true, want: "does not match its checksum"},
		"wrong pin":        {ref: ciVersion, inputs: map[string]string{"sha256": strings.Repeat("0", 64)}, want: "does not match its checksum"},
		"used at a branch": {ref: "main", want: "not a release tag"},
	} {
		t.Run(name, func(t *testing.T) {
			in := map[string]string{}
			for k, v := range inputs {
				in[k] = v
			}
			for k, v := range c.inputs {
				in[k] = v
			}
			p.tamper.Store(c.tamper)
			defer p.tamper.Store(false)
			_, err := p.runGitHubAction(t, c.ref, in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want a failure saying %q, got %v", c.want, err)
			}
		})
	}
}

// TestGitLabTemplateFile: a job extending .ward-login in a image without Go
// (PATH without a go binary) installs the release, logs in with its
// id_tokens token, runs the README's two-component command, and revokes the
// token in after_script.
func TestGitLabTemplateFile(t *testing.T) {
	p := newCIPlatform(t)
	body, err := os.ReadFile("../ci/gitlab/ward.gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]struct {
		Variables    map[string]string `yaml:"variables"`
		BeforeScript []string          `yaml:"before_script"`
		AfterScript  []string          `yaml:"after_script"`
		IDTokens     map[string]struct {
			Aud string `yaml:"aud"`
		} `yaml:"id_tokens"`
	}
	if err := yaml.Unmarshal(body, &tmpl); err != nil {
		t.Fatalf("ward.gitlab-ci.yml: %v", err)
	}
	login, ok := tmpl[".ward-login"]
	if !ok || login.IDTokens["WARD_ID_TOKEN"].Aud != "$WARD_AUDIENCE" {
		t.Fatalf(".ward-login with id_tokens WARD_ID_TOKEN aud $WARD_AUDIENCE: %+v", login)
	}

	// An image with bash, curl and coreutils and no Go: PATH holds only
	// links to the tools the template may use.
	image := t.TempDir()
	for _, tool := range []string{"bash", "sh", "curl", "sha256sum", "tar", "gzip", "awk", "cut", "mkdir", "rm", "uname", "cat", "env"} {
		if p, err := exec.LookPath(tool); err == nil {
			os.Symlink(p, filepath.Join(image, tool))
		}
	}

	run := func(t *testing.T, tamper bool, script string) (string, error) {
		p.tamper.Store(tamper)
		defer p.tamper.Store(false)
		jobID := fmt.Sprint(time.Now().UnixNano())
		// GitLab sets the job's variables (template, then job) with
		// $VARIABLES expanded, and the id_tokens token.
		vars := map[string]string{"CI_JOB_ID": jobID}
		for k, v := range login.Variables {
			vars[k] = strings.ReplaceAll(v, "$CI_JOB_ID", jobID)
		}
		for k, v := range map[string]string{"WARD_VERSION": ciVersion, "WARD_ADDR": p.s.Addr, "WARD_ROLE": "gl-staging",
			"WARD_AUDIENCE": "https://ward.example.com", "WARD_RELEASE_URL": p.releases.URL} {
			vars[k] = v
		}
		vars["WARD_ID_TOKEN"] = p.iss.Sign(p.iss.GitLab(oidctest.GitLabJob{Audience: vars["WARD_AUDIENCE"], ProjectPath: "acme/shop"}))
		env := ciEnv("GITLAB_CI=true", "HOME="+t.TempDir(), "PATH="+image)
		for k, v := range vars {
			env = append(env, k+"="+v)
		}
		defer os.RemoveAll(vars["WARD_BIN_DIR"])
		// before_script and script share one shell; after_script has its own.
		out, err := shell(t, p.repo, env, strings.Join(append(login.BeforeScript, script), "\n"))
		after, _ := shell(t, p.repo, env, strings.Join(login.AfterScript, "\n"))
		return out + after, err
	}

	kept := filepath.Join(t.TempDir(), "token")
	out, err := run(t, false, `ward run --env staging --component worker -- sh -c '[ -s "$WARD_SECRETS_DIR/db/password" ]'
ward run --env staging --component api -- sh -c '[ -n "$DB_PASSWORD" ]'
cat "$WARD_CONFIG_DIR/token" > `+kept)
	if err != nil {
		t.Fatalf("job: %v\n%s", err, out)
	}
	if strings.Contains(out, "ci-files-canary-pw") {
		t.Fatal("the job's output shows the secret")
	}
	tok, _ := os.ReadFile(kept)
	if len(bytes.TrimSpace(tok)) == 0 {
		t.Fatal("the job had no token")
	}
	if _, err := vaultClient(t, p.s, string(bytes.TrimSpace(tok))).KVv2("staging").Get(context.Background(), "payments/db"); err == nil {
		t.Fatal("after_script left the job's token alive")
	}

	if out, err := run(t, true, `echo the script ran`); err == nil || !strings.Contains(out, "does not match its checksum") || strings.Contains(out, "the script ran") {
		t.Fatalf("a damaged archive: want the job to fail before its script, got %v\n%s", err, out)
	}
}
