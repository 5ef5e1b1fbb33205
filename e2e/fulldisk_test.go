package e2e

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory, unmounted when
// the test ends (after servers started later have stopped). It skips the
// test, saying why, where this process cannot mount (not root).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a %d-byte tmpfs for a full disk (%v): this test needs root (CAP_SYS_ADMIN)", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting the test tmpfs: %v", err)
		}
	})
	return dir
}

// fillDisk writes a file on dir's file system until it is full.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return p
		}
	}
}

// kvPut writes one secret over HTTP and returns the status and body.
func kvPut(t *testing.T, s *devServer, path, value string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.Addr+"/v1/dev/data/"+path, strings.NewReader(`{"data":{"v":"`+value+`"}}`))
	req.Header.Set("X-Vault-Token", s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The disk of a bbolt store fills up (the audit log is on another disk):
// writes are refused with 503 and an error that says the disk is full,
// nothing refused is stored and nothing answered 200 is lost, reads go on;
// once space is freed writes work again, and after a restart every
// acknowledged secret reads back and the audit log verifies.
func TestFullDiskBolt(t *testing.T) {
	disk := mountTmpfs(t, 16<<20)
	audit := filepath.Join(t.TempDir(), "audit.log")
	dev := startDev(t, filepath.Join(disk, "data"), "--audit-log", audit)
	acked := map[string]string{}
	for i := range 20 {
		p, v := fmt.Sprintf("before/%d", i), fmt.Sprintf("value-%d", i)
		if st, body := kvPut(t, dev, p, v); st != 200 {
			t.Fatalf("write before the disk filled: %d %s", st, body)
		}
		acked[p] = v
	}
	filler := fillDisk(t, disk)

	// Big values use up whatever free pages bbolt still holds; then every
	// write must be refused, cleanly.
	big := strings.Repeat("x", 256<<10)
	refused := 0
	for i := 0; i < 200 && refused < 10; i++ {
		p := fmt.Sprintf("full/%d", i)
		st, body := kvPut(t, dev, p, big)
		switch {
		case st == 200:
			acked[p] = big
		case st == 503 && strings.Contains(body, "disk is full") && strings.Contains(body, "hint:"):
			refused++
		default:
			t.Fatalf("a write on a full disk: %d %s; want 200 or 503 naming the full disk", st, body)
		}
	}
	if refused == 0 {
		t.Fatalf("200 writes of 256 KiB on a full 16 MiB disk all succeeded: the disk never filled")
	}
	for p, v := range acked { // reads go on
		if out := dev.mustWard("", "kv", "get", "--env", "dev", "--field", "v", p); out != v+"\n" {
			t.Fatalf("on a full disk %s reads %.40q, want %.40q", p, out, v)
		}
		if strings.HasPrefix(p, "before/1") {
			break // the CLI is slow; a few are enough here, all are read after the restart
		}
	}
	if out := dev.mustWard("", "kv", "list", "--env", "dev", "full/"); strings.Count(out, "\n") != countPrefix(acked, "full/") {
		t.Errorf("on a full disk the list holds other than the %d acknowledged writes:\n%s", countPrefix(acked, "full/"), out)
	}

	os.Remove(filler) // space returns
	if st, body := kvPut(t, dev, "after/0", "back"); st != 200 {
		t.Fatalf("a write after space returned: %d %s", st, body)
	}
	acked["after/0"] = "back"
	key := devKey(t, dev)
	token := dev.Token
	dev.Stop()
	again := startWard(t, "server", dev.Data, "--audit-log", audit)
	again.Token = token
	unsealWith(t, again, key)
	for p, v := range acked {
		st, body := kvGet(t, again, p)
		if st != 200 || !strings.Contains(body, `"v":"`+v+`"`) {
			t.Fatalf("after the restart %s: %d %.200s", p, st, body)
		}
	}
	if out, errOut, code := again.ward("", "", "audit", "verify", audit); code != 0 {
		t.Fatalf("audit verify after a full disk: exit %d\n%s%s", code, out, errOut)
	}
}

func kvGet(t *testing.T, s *devServer, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.Addr+"/v1/dev/data/"+path, nil)
	req.Header.Set("X-Vault-Token", s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func countPrefix(m map[string]string, prefix string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

// With the audit log on the full disk too, ward fails closed: what it
// cannot audit it does not answer, reads included, with an error naming the
// audit log; once space is freed it serves again and the log verifies.
func TestFullDiskBoltWithAuditLog(t *testing.T) {
	disk := mountTmpfs(t, 8<<20)
	dev := startDev(t, filepath.Join(disk, "data"))
	if st, body := kvPut(t, dev, "app", "before"); st != 200 {
		t.Fatalf("write before the disk filled: %d %s", st, body)
	}
	filler := fillDisk(t, disk)
	big := strings.Repeat("x", 64<<10)
	var st int
	var body string
	for i := 0; i < 100; i++ { // the audit file's last block may still hold a few lines
		if st, body = kvGet(t, dev, "app"); st != 200 {
			break
		}
		kvPut(t, dev, fmt.Sprintf("fill/%d", i), big)
	}
	if st != 500 || !strings.Contains(body, "audit log cannot be written") {
		t.Fatalf("a read with the audit log's disk full: %d %s; want 500 naming the audit log", st, body)
	}
	os.Remove(filler)
	if st, body := kvGet(t, dev, "app"); st != 200 || !strings.Contains(body, `"v":"before"`) {
		t.Fatalf("a read after space returned: %d %s", st, body)
	}
	if st, body := kvPut(t, dev, "app", "after"); st != 200 {
		t.Fatalf("a write after space returned: %d %s", st, body)
	}
	dev.Stop()
	if out, errOut, code := dev.ward("", "", "audit", "verify", filepath.Join(disk, "data", "audit.log")); code != 0 {
		t.Fatalf("audit verify after a full disk: exit %d\n%s%s", code, out, errOut)
	}
}
