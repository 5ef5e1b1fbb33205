package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/audit/audittest"
)

// Two servers' logs, each its own chain (one of them rotated), verify
// together with --each, and not as one chain; a changed line in one is
// reported at its file and line while the other is still checked.
func TestAuditVerifyEach(t *testing.T) {
	a := rotatedLog(t, 3)    // one file
	b := rotatedLog(t, 2, 4) // rotated once: two files, oldest first
	bArg := strings.Join(b, ",")
	verify := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := runCLI(append([]string{"audit", "verify", "--key", audittest.CheckpointPublic}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, errOut := verify("--each", a[0], bArg)
	if code != 0 || strings.Count(out, "chain intact") != 2 || !strings.Contains(out, "ward: all 2 audit logs intact") {
		t.Fatalf("--each: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := verify(a[0], b[0], b[1]); code != 1 {
		t.Fatalf("two servers' logs given as one chain: exit %d, want 1", code)
	}

	raw, _ := os.ReadFile(b[1])
	changed := filepath.Join(t.TempDir(), "audit.log")
	os.WriteFile(changed, bytes.Replace(raw, []byte(`"read"`), []byte(`"list"`), 1), 0o600)
	code, out, errOut = verify("--each", bArg[:len(b[0])]+","+changed, a[0])
	if code != 1 || !strings.Contains(errOut, changed+":1: the line was changed") || !strings.Contains(errOut, "1 of 2 audit logs failed verification") {
		t.Errorf("a changed line in one log: exit %d\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, a[0]+": 4 entries, chain intact") {
		t.Errorf("the intact log after the broken one was not checked:\n%s", out)
	}

	var jout bytes.Buffer
	code = runCLI([]string{"audit", "verify", "--format", "json", "--each", a[0], bArg}, nil, &jout, &bytes.Buffer{})
	lines := strings.Split(strings.TrimSpace(jout.String()), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("JSON: exit %d, %d lines:\n%s", code, len(lines), jout.String())
	}
	for i, want := range [][]string{a, b} {
		var res auditVerifyResult
		if err := json.Unmarshal([]byte(lines[i]), &res); err != nil || !res.OK || len(res.Files) != len(want) {
			t.Errorf("JSON line %d: %+v %v", i, res, err)
		}
	}

	for _, bad := range [][]string{{"--each", a[0] + ",,x"}, {"--each", "-"}} {
		if code, _, errOut := verify(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", bad, code, errOut)
		}
	}
}
