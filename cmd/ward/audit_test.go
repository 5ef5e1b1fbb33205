package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/audit/audittest"
)

var updateAudit = flag.Bool("update-audit", false, "rewrite testdata/audit: the logs and verify.golden")

const auditTestdata = "testdata/audit"

// TestAuditTestdata checks that the logs in testdata/audit are the ones the
// audit package writes today, one intact and one per kind of tampering, so
// that the committed files follow the format. -update-audit rewrites them.
func TestAuditTestdata(t *testing.T) {
	intact, err := audittest.Intact()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range audittest.Cases(intact) {
		path := filepath.Join(auditTestdata, c.Name+".log")
		if *updateAudit {
			os.MkdirAll(auditTestdata, 0o755)
			if err := os.WriteFile(path, c.Log, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, c.Log) {
			t.Errorf("%s differs from the log the audit package writes (%v); run go test ./cmd/ward -run TestAudit -update-audit", path, err)
		}
	}
}

// TestAuditVerify runs ward audit verify on every log in testdata/audit, in
// text and JSON, and compares what it prints with verify.golden.
func TestAuditVerify(t *testing.T) {
	intact, err := audittest.Intact()
	if err != nil {
		t.Fatal(err)
	}
	var golden strings.Builder
	for _, c := range audittest.Cases(intact) {
		path := filepath.Join(auditTestdata, c.Name+".log")
		wantCode := 0
		if c.Err != nil {
			wantCode = 1
		}
		for _, format := range []string{"text", "json"} {
			var out, errb bytes.Buffer
			code := runCLI([]string{"audit", "verify", "--format", format, path}, nil, &out, &errb)
			fmt.Fprintf(&golden, "$ ward audit verify --format %s %s\n%s%s[exit %d]\n\n", format, path, out.String(), errb.String(), code)
			if code != wantCode {
				t.Errorf("%s %s: exit %d, want %d; stderr:\n%s", format, c.Name, code, wantCode, errb.String())
			}
			if format == "json" {
				var res auditVerifyResult
				if err := json.Unmarshal(out.Bytes(), &res); err != nil {
					t.Fatalf("%s: JSON output: %v", c.Name, err)
				}
				if res.OK != (c.Err == nil) || res.Line != c.Line || res.File != path || res.Entries != max(c.Line-1, 0)+boolInt(c.Err == nil)*audittest.Entries {
					t.Errorf("%s: JSON %+v; want line %d", c.Name, res, c.Line)
				}
			}
		}
	}
	checkGolden(t, filepath.Join(auditTestdata, "verify.golden"), golden.String())
}

// checkGolden compares got with the golden file at path, or rewrites the
// file with -update-audit.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateAudit {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s; run go test ./cmd/ward -run TestAudit -update-audit and review the diff:\n%s", path, got)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestAuditVerifyStdinAndUsage(t *testing.T) {
	intact, err := audittest.Intact()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		stdin []byte
		args  []string
		code  int
		out   string
	}{
		{"stdin", intact, []string{"-"}, 0, "ward: audit log -: 6 entries, chain intact\nward: no checkpoints: the chain shows the file is self-consistent, not that the vault wrote all of it; logs from before checkpoints have none\n"},
		{"stdin broken", intact[1:], []string{"-"}, 1, ""},
		{"no file", nil, nil, 2, ""},
		{"stdin and a file", nil, []string{"-", "b"}, 2, ""},
		{"bad format", intact, []string{"--format", "xml", "-"}, 2, ""},
		{"missing file", nil, []string{filepath.Join(t.TempDir(), "nope.log")}, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runCLI(append([]string{"audit", "verify"}, tc.args...), bytes.NewReader(tc.stdin), &out, &errb)
			if code != tc.code || out.String() != tc.out {
				t.Errorf("exit %d, stdout %q; want %d, %q; stderr:\n%s", code, out.String(), tc.code, tc.out, errb.String())
			}
		})
	}
}

// TestRunAuditVerifyCanceled checks that a canceled command stops reading.
func TestRunAuditVerifyCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := runAuditVerify(ctx, auditVerifyOptions{files: []string{"-"}, format: "text", stdin: strings.NewReader("x\n"), stdout: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("runAuditVerify with a canceled ctx: %v", err)
	}
}
