package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("app.env", "A=1\nB=2\nC=3\n")
	git("add", ".")
	git("commit", "-q", "-m", "first")
	write("app.env", "A=1\nB=2\nGITHUB_TOKEN="+tok+"\nC=3\n")
	write("blob.bin", "\x00\x01binary")
	git("add", ".")
	git("commit", "-q", "-m", "leak")
	leak := git("rev-parse", "HEAD")
	write("app.env", "A=1\nB=2\nC=3\n")
	git("add", ".")
	git("commit", "-q", "-m", "remove the leak")

	s := newTestScanner(t, Config{})
	res, err := s.ScanGit(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := only(res.Findings, "github-pat")
	if len(fs) != 1 {
		t.Fatalf("got %+v", res.Findings)
	}
	f := fs[0]
	if f.Commit != leak || f.File != "app.env" || f.StartLine != 3 || f.StartColumn != 14 || f.EndColumn != 53 {
		t.Errorf("got %s %s:%d:%d-%d, want %s app.env:3:14-53", f.Commit, f.File, f.StartLine, f.StartColumn, f.EndColumn, leak)
	}
	if skippedWith(res, ErrBinaryHistory) == nil {
		t.Errorf("the binary file in history was not reported: %+v", res.Skipped)
	}
	if _, err := s.ScanGit(context.Background(), t.TempDir()); err == nil {
		t.Error("no error for a directory that is not a repository")
	}
}
