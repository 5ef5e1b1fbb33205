package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// ward operator key-status shows the active term and its install time,
// which a rotation moves.
func TestOperatorKeyStatus(t *testing.T) {
	t.Parallel()
	root := testServer(t)
	env := []string{"WARD_ADDR=" + root.Address(), "WARD_TOKEN=" + root.Token(), "WARD_CONFIG_DIR=" + t.TempDir()}
	ward := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := runCLI(args, nil, &out, &errb, env...); code != 0 {
			t.Fatalf("ward %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String()
	}
	status := func() (uint32, time.Time) {
		t.Helper()
		var ks struct {
			Term        uint32    `json:"term"`
			InstallTime time.Time `json:"install_time"`
		}
		if out := ward("operator", "key-status", "--format", "json"); json.Unmarshal([]byte(out), &ks) != nil {
			t.Fatalf("key-status --format json: %s", out)
		}
		return ks.Term, ks.InstallTime
	}
	before := time.Now()
	term, installed := status()
	if term != 1 || installed.IsZero() || installed.After(before) {
		t.Fatalf("after init: term %d installed %v (now %v)", term, installed, before)
	}
	ward("operator", "rotate")
	term2, installed2 := status()
	if term2 != 2 || installed2.Before(before) {
		t.Fatalf("after rotate: term %d installed %v; want 2, after %v", term2, installed2, before)
	}
	out := ward("operator", "key-status")
	if !strings.Contains(out, "term") || !strings.Contains(out, installed2.UTC().Format(time.RFC3339)) {
		t.Fatalf("key-status:\n%s", out)
	}
}
