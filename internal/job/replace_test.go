package job

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/manifest"
)

func TestReplace(t *testing.T) {
	d, err := NewSecretsDir(Config{Base: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove()
	if err := d.Write([]manifest.FileValue{{Path: "db/password", Value: []byte("v1"), Mode: 0o400}, {Path: "key", Value: []byte("k1")}}); err != nil {
		t.Fatal(err)
	}
	// A reader holding the old file keeps its content: the new one is a
	// new inode, renamed into place.
	held, err := os.Open(filepath.Join(d.Path, "db/password"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := d.Replace([]manifest.FileValue{{Path: "db/password", Value: []byte("v2"), Mode: 0o400}, {Path: "tls/new.pem", Value: []byte("pem")}}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"db/password": "v2", "key": "k1", "tls/new.pem": "pem"} {
		got, err := os.ReadFile(filepath.Join(d.Path, path))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	old := make([]byte, 8)
	if n, _ := held.Read(old); string(old[:n]) != "v1" {
		t.Errorf("the file held open reads %q, want the old content v1", old[:n])
	}
	for path, want := range map[string]os.FileMode{"db/password": 0o400, "tls/new.pem": 0o600} {
		if fi, err := os.Stat(filepath.Join(d.Path, path)); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	filepath.WalkDir(d.Path, func(p string, e os.DirEntry, _ error) error {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
	if err := d.RemoveFiles([]string{"key", "gone-already"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d.Path, "key")); !os.IsNotExist(err) {
		t.Errorf("key after RemoveFiles: %v", err)
	}
}

// TestReplaceRefusesSymlinkEscape: a symlink planted in the directory
// cannot redirect a replacement outside it.
func TestReplaceRefusesSymlinkEscape(t *testing.T) {
	d, err := NewSecretsDir(Config{Base: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(d.Path, "tls")); err != nil {
		t.Fatal(err)
	}
	if err := d.Replace([]manifest.FileValue{{Path: "tls/a.pem", Value: []byte("x")}}); err == nil {
		t.Fatal("Replace followed a symlink out of the directory")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("files written outside: %v", entries)
	}
}
