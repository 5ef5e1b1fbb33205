package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The disk of a bbolt store fills up (the audit log is on another disk;
// TestAuditLogFullFailsClosed fills the audit log's):
// writes are refused with 503 and an error that says the disk is full,
// nothing refused is stored and nothing answered 200 is lost, reads go on;
// once space is freed writes work again, and after a restart every
// acknowledged secret reads back and the audit log verifies.
func TestFullDiskBolt(t *testing.T) {
	disk := mountTinyFS(t, "16m")
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
	filler := fill(t, disk)

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
		st, body := call(t, again, "GET", "/v1/dev/data/"+p, again.Token, "")
		if st != 200 || !strings.Contains(body, `"v":"`+v+`"`) {
			t.Fatalf("after the restart %s: %d %.200s", p, st, body)
		}
	}
	if out, errOut, code := again.ward("", "", "audit", "verify", audit); code != 0 {
		t.Fatalf("audit verify after a full disk: exit %d\n%s%s", code, out, errOut)
	}
}

// kvPut writes {"v": value} at dev/path and returns the answer.
func kvPut(t *testing.T, s *devServer, path, value string) (int, string) {
	t.Helper()
	return call(t, s, "POST", "/v1/dev/data/"+path, s.Token, `{"data":{"v":"`+value+`"}}`)
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
