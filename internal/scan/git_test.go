package scan

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanGit(t *testing.T) {
	dir, git, write := newGitRepo(t)
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
	// Since the leak: only the commit that removed it, so nothing.
	if res, err := s.ScanGitSince(context.Background(), dir, leak); err != nil || len(res.Findings) != 0 {
		t.Errorf("since the leak: %+v, %v; want no findings", res, err)
	}
	// Since its parent: the leak.
	if res, err := s.ScanGitSince(context.Background(), dir, leak+"~1"); err != nil || len(only(res.Findings, "github-pat")) != 1 {
		t.Errorf("since before the leak: %+v, %v; want the leak", res, err)
	}
	for _, rev := range []string{"", "--all", "HEAD~2..HEAD"} {
		if _, err := s.ScanGitSince(context.Background(), dir, rev); !errors.Is(err, ErrBadRevision) {
			t.Errorf("since %q: %v, want ErrBadRevision", rev, err)
		}
	}
	if _, err := s.ScanGitSince(context.Background(), dir, "no-such-rev"); err == nil {
		t.Error("no error for an unknown revision")
	}
	if _, err := s.ScanGit(context.Background(), t.TempDir()); err == nil {
		t.Error("no error for a directory that is not a repository")
	}
}

func TestScanStaged(t *testing.T) {
	dir, git, write := newGitRepo(t)
	s := newTestScanner(t, Config{})
	staged := func() []Finding {
		t.Helper()
		res, err := s.ScanStaged(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		return only(res.Findings, "github-pat")
	}
	git("init", "-q", "-b", "main")
	// No commit yet: the first commit's staged lines are scanned.
	write("old.env", "OLD="+tok+"\n")
	git("add", ".")
	if fs := staged(); len(fs) != 1 || fs[0].File != "old.env" || fs[0].StartLine != 1 {
		t.Fatalf("before the first commit: %+v", fs)
	}
	git("commit", "-q", "-m", "first")
	if fs := staged(); len(fs) != 0 {
		t.Fatalf("nothing staged, got %+v", fs)
	}
	// A token in the working tree but not staged is not the commit's.
	write("app.env", "A=1\nB=2\n")
	git("add", ".")
	write("app.env", "A=1\nB=2\nGITHUB_TOKEN="+tok+"\n")
	if fs := staged(); len(fs) != 0 {
		t.Fatalf("unstaged token reported: %+v", fs)
	}
	git("add", "app.env")
	fs := staged()
	if len(fs) != 1 || fs[0].File != "app.env" || fs[0].StartLine != 3 || fs[0].Commit != "" {
		t.Fatalf("staged token: %+v, want app.env:3 with no commit", fs)
	}
	if _, err := s.ScanStaged(context.Background(), t.TempDir()); err == nil {
		t.Error("no error for a directory that is not a repository")
	}
}

// newGitRepo returns an empty directory for a git repository, a func
// running git in it (returning its output) and one writing a file in it.
// It skips the test when there is no git.
func newGitRepo(t *testing.T) (dir string, git func(args ...string) string, write func(name, text string)) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir = t.TempDir()
	git = func(args ...string) string {
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
	write = func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, git, write
}
