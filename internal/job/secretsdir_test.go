package job

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/manifest"
)

func TestDirPID(t *testing.T) {
	for name, want := range map[string]int{
		"ward-run-123-abcd": 123, "ward-run-0-ab": 0, "ward-run-x-ab": 0, "ward-run-123": 0, "other-123-ab": 0, "ward-run--5-a": 0,
	} {
		pid, ok := dirPID(name)
		if pid != want && ok || ok != (want != 0) {
			t.Errorf("dirPID(%q) = %d, %v; want %d", name, pid, ok, want)
		}
	}
}

func TestSecretsDir(t *testing.T) {
	base := t.TempDir()
	now := time.Now()
	// 100 is dead; 200 is alive, but 200-old is older than StaleAge and
	// unlocked: the PID was reused. 100-locked is held by a running ward.
	for _, d := range []string{"ward-run-100-aa", "ward-run-200-bb", "ward-run-200-old", "ward-run-100-locked", "someone-else-100-cc"} {
		if err := os.MkdirAll(filepath.Join(base, d, "tls"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.Chtimes(filepath.Join(base, "ward-run-200-old"), now, now.Add(-StaleAge-time.Second))
	lock, ok := tryLock(filepath.Join(base, "ward-run-100-locked"))
	if !ok {
		t.Fatal("cannot lock")
	}
	defer lock.Close()
	os.WriteFile(filepath.Join(base, "ward-run-100-file"), nil, 0o600) // not a directory: left alone
	alive := func(pid int) bool { return pid == 200 }
	d, err := NewSecretsDir(Config{Base: base, PID: 300, Alive: alive, Rand: bytes.NewReader(make([]byte, 8)), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "ward-run-300-0000000000000000"); d.Path != want {
		t.Errorf("Path = %s, want %s", d.Path, want)
	}
	if want := []string{filepath.Join(base, "ward-run-100-aa"), filepath.Join(base, "ward-run-200-old")}; !slices.Equal(d.Stale, want) {
		t.Errorf("Stale = %q, want %q", d.Stale, want)
	}
	var left []string
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"someone-else-100-cc", "ward-run-100-file", "ward-run-100-locked", "ward-run-200-bb", "ward-run-300-0000000000000000"}; !slices.Equal(left, want) {
		t.Errorf("left under base: %q, want %q", left, want)
	}
	if _, ok := tryLock(d.Path); ok {
		t.Error("the new directory is not locked")
	}
	if fi, _ := os.Stat(d.Path); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", fi.Mode().Perm())
	}

	files := []manifest.FileValue{
		{Path: "tls/client.pem", Mode: 0o600, Value: []byte("PEM")},
		{Path: "tls/ca.pem", Mode: 0o644, Value: []byte("CA")},
		{Path: "token", Value: []byte("T")},
		{Path: "group.key", Mode: 0o660, Value: []byte("G")}, // beyond the umask
	}
	defer syscall.Umask(syscall.Umask(0o077))
	if err := d.Write(files); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(d.Path, f.Path)
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, f.Value) {
			t.Errorf("%s: %q, %v", f.Path, got, err)
		}
		want := f.Mode
		if want == 0 {
			want = 0o600
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", f.Path, fi.Mode().Perm(), want)
		}
	}
	if fi, _ := os.Stat(filepath.Join(d.Path, "tls")); fi.Mode().Perm() != 0o700 {
		t.Errorf("tls/ mode %v, want 0700", fi.Mode().Perm())
	}
	// An existing file, a symlink, or a path out of the directory is refused.
	os.Symlink("/etc/passwd", filepath.Join(d.Path, "link"))
	for _, p := range []string{"token", "link", "../escape", "tls/../../escape"} {
		err := d.Write([]manifest.FileValue{{Path: p, Mode: 0o600, Value: []byte("x")}})
		if err == nil {
			t.Errorf("Write(%s) succeeded", p)
		} else if strings.Contains(err.Error(), "x\"") {
			t.Errorf("Write(%s): error shows the value: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "escape")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file escaped the directory: %v", err)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Remove: %v", err)
	}
}

func TestNoTmpfs(t *testing.T) {
	_, err := NewSecretsDir(Config{Base: filepath.Join(t.TempDir(), "absent")})
	if !errors.Is(err, ErrNoTmpfs) {
		t.Errorf("err = %v, want ErrNoTmpfs", err)
	}
}
