package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mountTinyFS mounts a small tmpfs so a test can fill a disk for real.
func mountTinyFS(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes to dir until the disk is full and returns the filler's path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{64 << 10, 4096, 1} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				break
			}
		}
	}
	return p
}

// When the audit log cannot be written, requests fail and no secret is
// returned; when the disk has room again, the server recovers by itself.
func TestAuditLogFullFailsClosed(t *testing.T) {
	disk := mountTinyFS(t, "256k")
	auditPath := filepath.Join(disk, "audit.log")
	s := startDev(t, "", "--audit-log", auditPath)
	marker := randomMarker(t)
	if status, body := call(t, s, "POST", "/v1/dev/data/app/db", s.Token, `{"data":{"password":"`+marker+`"}}`); status != 200 {
		t.Fatalf("write: %d %s", status, body)
	}
	filler := fill(t, disk)
	// The file's last page may still hold a few lines; then every request
	// must fail, without the secret.
	failed := 0
	for i := 0; i < 50 && failed < 3; i++ {
		status, body := call(t, s, "GET", "/v1/dev/data/app/db", s.Token, "")
		switch {
		case status == 500 && !strings.Contains(body, marker) && strings.Contains(body, "audit log"):
			failed++
		case failed > 0 || status != 200:
			t.Fatalf("read with a full audit disk: %d %s; want a 500 naming the audit log, without the secret", status, body)
		}
	}
	if failed == 0 {
		t.Fatal("reads kept succeeding with the audit disk full")
	}
	if status, _ := call(t, s, "POST", "/v1/dev/data/app/other", s.Token, `{"data":{"k":"v"}}`); status != 500 {
		t.Fatalf("write with a full audit disk: %d, want 500", status)
	}
	os.Remove(filler)
	status, body := call(t, s, "GET", "/v1/dev/data/app/db", s.Token, "")
	if status != 200 || !strings.Contains(body, marker) {
		t.Fatalf("read after the disk has room again: %d %s", status, body)
	}
	s.Stop()
	if out, errOut, code := s.ward("", "", "audit", "verify", auditPath); code != 0 {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}
