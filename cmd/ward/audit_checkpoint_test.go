package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/audit/audittest"
)

// TestAuditVerifyCheckpoints runs ward audit verify on the checkpointed logs
// of audittest: intact, rebuilt, re-signed with another key, and cut, with
// the trust each case names (--key, --checkpoints), and compares what it
// prints with checkpoints.golden. -update-audit rewrites the logs and it.
func TestAuditVerifyCheckpoints(t *testing.T) {
	cases, err := audittest.CheckpointCases()
	if err != nil {
		t.Fatal(err)
	}
	shippedPath := filepath.Join(auditTestdata, "cp-checkpointed.log")
	var golden strings.Builder
	for _, c := range cases {
		path := filepath.Join(auditTestdata, "cp-"+c.Name+".log")
		if *updateAudit {
			if err := os.WriteFile(path, c.Log, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, c.Log) {
			t.Errorf("%s differs from the log the audit package writes (%v); run go test ./cmd/ward -run TestAudit -update-audit", path, err)
			continue
		}
		args := []string{"audit", "verify"}
		if c.Pin {
			args = append(args, "--key", audittest.CheckpointPublic)
		}
		if c.Shipped {
			args = append(args, "--checkpoints", shippedPath)
		}
		wantCode := 0
		if c.Err != nil {
			wantCode = 1
		}
		for _, format := range []string{"text", "json"} {
			var out, errb bytes.Buffer
			argv := append(append(args[:len(args):len(args)], "--format", format), path)
			code := runCLI(argv, nil, &out, &errb)
			fmt.Fprintf(&golden, "$ ward %s\n%s%s[exit %d]\n\n", strings.Join(argv, " "), out.String(), errb.String(), code)
			if code != wantCode {
				t.Errorf("%s %s: exit %d, want %d; stderr:\n%s", format, c.Name, code, wantCode, errb.String())
			}
			if format != "json" {
				continue
			}
			var res auditVerifyResult
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("%s: JSON output: %v", c.Name, err)
			}
			wantProblem := ""
			for _, p := range chainProblems {
				if c.Err != nil && errors.Is(c.Err, p.err) {
					wantProblem = p.name
					break
				}
			}
			if res.OK != (c.Err == nil) || res.Line != c.Line || res.Problem != wantProblem || res.KeyPinned != (c.Pin || c.Shipped) {
				t.Errorf("%s: JSON %+v; want line %d, problem %q", c.Name, res, c.Line, wantProblem)
			}
		}
	}
	checkGolden(t, filepath.Join(auditTestdata, "checkpoints.golden"), golden.String())
}

// --key with a log that has no checkpoint is a failure: they were removed,
// or the log predates them.
func TestAuditVerifyKeyWithoutCheckpoints(t *testing.T) {
	intact, err := audittest.Intact()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := runCLI([]string{"audit", "verify", "--key", audittest.CheckpointPublic, "-"}, bytes.NewReader(intact), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "no checkpoint in the log verifies") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	for _, bad := range []string{"ed25519:short", "rsa:AAAA", audit.KeyString(nil)} {
		code := runCLI([]string{"audit", "verify", "--key", bad, "-"}, bytes.NewReader(intact), &out, &errb)
		if code != 2 {
			t.Errorf("--key %q: exit %d, want 2", bad, code)
		}
	}
}
