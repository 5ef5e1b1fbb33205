package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestContainers(t *testing.T) {
	s := []byte(secretText)
	bz2, err := os.ReadFile("testdata/secret.log.bz2")
	if err != nil {
		t.Fatal(err)
	}
	layer := tarOf(t, entry{name: "app/config.env", data: s})
	// A Rust release binary with include_str!("config.env") or env!() holds
	// the text as plain bytes between other data.
	elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00\x00core::panicking\x00"), s...)
	elf = append(elf, "\x00\x89\xe5\xc3"...)
	for _, tc := range []struct {
		name   string
		data   []byte
		member string
	}{
		{"plain", s, ""},
		{"binary", elf, ""},
		{"gzip", gz(t, s), ""},
		{"bzip2", bz2, ""},
		{"tar", tarOf(t, entry{name: "a.txt", data: []byte("nothing")}, entry{name: "dir/b.log", data: s}), "dir/b.log"},
		{"tar.gz", gz(t, tarOf(t, entry{name: "dir/b.log", data: s})), "dir/b.log"},
		{"zip", zipOf(t, entry{name: "x/y.txt", data: s}), "x/y.txt"},
		{"gzip in tar", tarOf(t, entry{name: "logs/job.log.gz", data: gz(t, s)}), "logs/job.log.gz"},
		{"zip in tar", tarOf(t, entry{name: "inner.zip", data: zipOf(t, entry{name: "c.txt", data: s})}), "inner.zip!c.txt"},
		{"tar in zip", zipOf(t, entry{name: "inner.tar", data: tarOf(t, entry{name: "d.txt", data: s})}), "inner.tar!d.txt"},
		{"docker save", tarOf(t, entry{name: "manifest.json", data: []byte(`[{"Layers":["abc/layer.tar"]}]`)}, entry{name: "abc/layer.tar", data: layer}), "abc/layer.tar!app/config.env"},
		{"oci layout", tarOf(t, entry{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)}, entry{name: "blobs/sha256/0f1e", data: gz(t, layer)}), "blobs/sha256/0f1e!app/config.env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := scanBytes(t, Config{}, tc.data)
			fs := only(res.Findings, "github-pat")
			if len(fs) != 1 || len(res.Skipped) != 0 {
				t.Fatalf("got %d github-pat findings (%+v), skipped %+v", len(fs), res.Findings, res.Skipped)
			}
			f := fs[0]
			if f.Member != tc.member || f.StartLine != 2 || f.StartColumn != 7 || f.EndLine != 2 || f.EndColumn != 46 {
				t.Errorf("got %s %d:%d-%d:%d, want member %q 2:7-2:46", f.Member, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, tc.member)
			}
		})
	}
}

// TestGoBinary builds a Go program with a token baked in by -ldflags -X and
// finds it in the binary.
func TestGoBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module baked\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nvar Token string\n\nfunc main() { println(len(Token)) }\n"), 0o644)
	cmd := exec.Command(goBin, "build", "-o", "app", "-ldflags", "-X main.Token="+tok, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := newTestScanner(t, Config{})
	res, err := s.Scan(context.Background(), []string{filepath.Join(dir, "app")})
	if err != nil {
		t.Fatal(err)
	}
	if len(only(res.Findings, "github-pat")) == 0 {
		t.Fatalf("token baked into the binary not found: %+v", res.Findings)
	}
}

func TestDirectoryAndGitignore(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".gitignore", "*.log\n/build/\n!keep.log\n")
	write("a.log", secretText)
	write("keep.log", secretText)
	write("build/out.txt", secretText)
	write("src/build/x.txt", secretText)
	write("src/.gitignore", "secret.txt\n")
	write("src/secret.txt", secretText)
	write("src/ok.txt", secretText)
	if err := os.Symlink(filepath.Join(dir, "a.log"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	files := func(gitignore bool) (string, []Skipped) {
		s := newTestScanner(t, Config{Gitignore: gitignore})
		res, err := s.Scan(context.Background(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range res.Findings {
			rel, _ := filepath.Rel(dir, f.File)
			names = append(names, filepath.ToSlash(rel))
		}
		return strings.Join(names, " "), res.Skipped
	}
	all, skipped := files(false)
	if all != "a.log build/out.txt keep.log src/build/x.txt src/ok.txt src/secret.txt" {
		t.Errorf("without --gitignore: %s", all)
	}
	if len(skipped) != 1 || skipped[0].Err != ErrSymlink {
		t.Errorf("the symlink was not reported as skipped: %+v", skipped)
	}
	if got, _ := files(true); got != "keep.log src/build/x.txt src/ok.txt" {
		t.Errorf("with --gitignore: %s", got)
	}
}
