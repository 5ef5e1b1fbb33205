package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/scan/known"
)

// scanTok is a fake GitHub token with a valid checksum.
const scanTok = "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"

func runScanCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	// The key a test sets with t.Setenv; ward reads no other variable of the test process.
	code = runCLI(append([]string{"scan", "--progress=false"}, args...), strings.NewReader(stdin), &out, &errb, "WARD_SCAN_KEY="+os.Getenv("WARD_SCAN_KEY"))
	for _, s := range []string{out.String(), errb.String()} {
		if strings.Contains(s, scanTok[4:12]) || strings.Contains(s, "s3cretPassw0rdX") {
			t.Fatalf("ward scan %v printed part of a secret", args)
		}
	}
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanExitCodes(t *testing.T) {
	dir := t.TempDir()
	clean := writeFile(t, dir, "clean.txt", "nothing to see\n")
	dirty := writeFile(t, dir, "dirty.env", "GITHUB_TOKEN="+scanTok+"\n")
	allowed := writeFile(t, dir, "allowed.env", "GITHUB_TOKEN="+scanTok+" # ward:allow fixture\n")
	badRules := writeFile(t, dir, "bad.yaml", "version: 1\nrules:\n  - id: x\n    keywords: [a]\n    regex: '('\n")
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"clean", "", []string{clean}, 0},
		{"finding", "", []string{dirty}, 1},
		{"stdin", "token=" + scanTok + "\n", []string{"-"}, 1},
		{"allowed", "", []string{allowed}, 0},
		{"no args", "", nil, 2},
		{"bad format", "", []string{"--format", "xml", clean}, 2},
		{"bad rules", "", []string{"--rules", badRules, clean}, 2},
		{"missing file", "", []string{filepath.Join(dir, "nope")}, 1},
		{"bad flag", "", []string{"--nope", clean}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, stderr := runScanCmd(t, tc.stdin, tc.args...); code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
		})
	}
}

func TestScanJSONAndBaseline(t *testing.T) {
	t.Setenv("WARD_SCAN_KEY", "a stable key for this test")
	dir := t.TempDir()
	dirty := writeFile(t, dir, "dirty.env", "GITHUB_TOKEN="+scanTok+"\n")
	code, out, _ := runScanCmd(t, "", "--format", "json", dirty)
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil || code != 1 || len(fs) != 1 {
		t.Fatalf("exit %d, %d findings, %v", code, len(fs), err)
	}
	if fs[0]["rule"] != "github-pat" || fs[0]["start_line"] != 1.0 || fs[0]["start_column"] != 14.0 {
		t.Errorf("finding: %v", fs[0])
	}
	base := writeFile(t, dir, "baseline.json", out)
	if code, out, _ := runScanCmd(t, "", "--format", "json", "--baseline", base, dirty); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("with the baseline: exit %d, %s", code, out)
	}
	// A new secret is still reported.
	writeFile(t, dir, "dirty.env", "GITHUB_TOKEN="+scanTok+"\nDB_PASSWORD=s3cretPassw0rdX\n")
	if code, _, _ := runScanCmd(t, "", "--baseline", base, dirty); code != 1 {
		t.Errorf("a new finding passed the baseline: exit %d", code)
	}
	if code, _, _ := runScanCmd(t, "", "--baseline", filepath.Join(dir, "none.json"), dirty); code != 2 {
		t.Errorf("a missing baseline: exit %d, want 2", code)
	}
}

// A baseline keeps accepting a finding when its line moves, and is refused,
// never silently useless, when its fingerprints cannot match: written
// without WARD_SCAN_KEY, used without it, or used with another key.
func TestScanBaselineKeyed(t *testing.T) {
	dir := t.TempDir()
	dirty := writeFile(t, dir, "dirty.env", "GITHUB_TOKEN="+scanTok+"\n")
	write := func(name string) string {
		_, out, _ := runScanCmd(t, "", "--format", "json", dirty)
		return writeFile(t, dir, name, out)
	}
	t.Setenv("WARD_SCAN_KEY", "")
	unkeyed := write("unkeyed.json")
	t.Setenv("WARD_SCAN_KEY", "key one")
	keyed := write("keyed.json")

	// The line moves: three lines are added above it.
	writeFile(t, dir, "dirty.env", "# config\nA=1\nB=2\nGITHUB_TOKEN="+scanTok+"\n")
	if code, out, stderr := runScanCmd(t, "", "--format", "json", "--baseline", keyed, dirty); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("a moved line left the baseline: exit %d, %s%s", code, out, stderr)
	}
	// The same secret in another file is not accepted.
	other := writeFile(t, dir, "other.env", "GITHUB_TOKEN="+scanTok+"\n")
	if code, _, _ := runScanCmd(t, "", "--baseline", keyed, other); code != 1 {
		t.Errorf("the baseline accepted the secret in another file: exit %d", code)
	}
	for _, tc := range []struct {
		name, key, baseline, want string
	}{
		{"written without a key", "key one", unkeyed, "written without WARD_SCAN_KEY"},
		{"used without a key", "", keyed, "--baseline needs WARD_SCAN_KEY"},
		{"unkeyed both times", "", unkeyed, "--baseline needs WARD_SCAN_KEY"},
		{"another key", "key two", keyed, "another fingerprint key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("WARD_SCAN_KEY", tc.key)
			code, _, stderr := runScanCmd(t, "", "--baseline", tc.baseline, dirty)
			if code != 2 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "hint:") {
				t.Errorf("exit %d, want 2 with %q and a hint; stderr:\n%s", code, tc.want, stderr)
			}
		})
	}
}

func TestScanShowAllowedAndRules(t *testing.T) {
	dir := t.TempDir()
	allowed := writeFile(t, dir, "a.env", "GITHUB_TOKEN="+scanTok+" # ward:allow fixture\n")
	if _, out, _ := runScanCmd(t, "", "--show-allowed", allowed); !strings.Contains(out, "allowed by ward:allow") {
		t.Errorf("--show-allowed did not list the allowed finding:\n%s", out)
	}
	dirty := writeFile(t, dir, "d.env", "GITHUB_TOKEN="+scanTok+"\n")
	off := writeFile(t, dir, "off.yaml", "version: 1\nrules:\n  - id: github-pat\n    disabled: true\n  - id: generic-secret\n    disabled: true\n")
	if code, out, _ := runScanCmd(t, "", "--rules", off, dirty); code != 0 {
		t.Errorf("rules disabled by --rules still fired: exit %d\n%s", code, out)
	}
}

func TestScanSARIFOutputFile(t *testing.T) {
	dir := t.TempDir()
	dirty := writeFile(t, dir, "d.env", "GITHUB_TOKEN="+scanTok+"\n")
	report := filepath.Join(dir, "r.sarif")
	if code, _, _ := runScanCmd(t, "", "--format", "sarif", "-o", report, dirty); code != 1 {
		t.Errorf("exit %d", code)
	}
	data, err := os.ReadFile(report)
	if err != nil || !bytes.Contains(data, []byte(`"version": "2.1.0"`)) {
		t.Errorf("no SARIF report written: %v", err)
	}
}

func TestScanKnownFile(t *testing.T) {
	dir := t.TempDir()
	set, err := known.Build([]byte("0123456789abcdef0123456789abcdef"), []known.Secret{{Path: "payments/db", Field: "password", Version: 2, Value: []byte("s3cretPassw0rdX")}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	set.Write(&b)
	setFile := writeFile(t, dir, "known.json", b.String())
	log := writeFile(t, dir, "job.log", "connecting with s3cretPassw0rdX now\n")
	code, out, _ := runScanCmd(t, "", "--known-file", setFile, log)
	if code != 1 || !strings.Contains(out, "ward secret payments/db field password version 2") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, _ := runScanCmd(t, "", "--known-file", log, log); code != 2 {
		t.Errorf("a bad set: exit %d, want 2", code)
	}
}

func TestScanGitHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	writeFile(t, dir, "a.env", "GITHUB_TOKEN="+scanTok+"\n")
	git("add", ".")
	git("commit", "-q", "-m", "leak")
	writeFile(t, dir, "a.env", "nothing\n")
	git("commit", "-q", "-am", "fix")
	if code, out, _ := runScanCmd(t, "", dir); code != 0 {
		t.Errorf("the checkout is clean, yet exit %d:\n%s", code, out)
	}
	if code, out, _ := runScanCmd(t, "", "--git", dir); code != 1 || !strings.Contains(out, ":a.env:1:14: github-pat") {
		t.Errorf("--git: exit %d:\n%s", code, out)
	}
	if code, _, _ := runScanCmd(t, "", "--git", t.TempDir()); code != 1 {
		t.Errorf("--git on a non-repository: exit %d, want 1", code)
	}
}
