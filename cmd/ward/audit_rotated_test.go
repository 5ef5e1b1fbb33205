package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/audit/audittest"
)

// rotatedLog writes a log rotated twice (rename, Reopen) with the given
// entries in each file and a checkpoint after each file's entries, and
// returns the files oldest first.
func rotatedLog(t *testing.T, perFile ...int) []string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	l, err := audit.Open(audit.Config{Path: path, HMACKey: audittest.Key, CheckpointKey: audittest.CheckpointKey})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var files []string
	for i, n := range perFile {
		for j := range n {
			if err := l.Write(context.Background(), &audit.Entry{Type: "request", Path: fmt.Sprintf("prod/data/app/%d/%d", i, j), Operation: "read"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := l.Checkpoint(context.Background(), audit.CheckpointPeriodic); err != nil {
			t.Fatal(err)
		}
		if i == len(perFile)-1 {
			files = append(files, path)
			break
		}
		old := fmt.Sprintf("%s.%d", path, len(perFile)-1-i)
		if err := os.Rename(path, old); err != nil {
			t.Fatal(err)
		}
		if err := l.Reopen(); err != nil {
			t.Fatal(err)
		}
		files = append(files, old)
	}
	return files
}

// A rotated log verifies as one chain when its files are given oldest
// first, and each way of giving them wrong is reported at the file and
// line where the chain breaks.
func TestAuditVerifyRotated(t *testing.T) {
	files := rotatedLog(t, 3, 2, 4) // audit.log.2 (4 lines), audit.log.1 (3), audit.log (5)
	verify := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := runCLI(append([]string{"audit", "verify", "--key", audittest.CheckpointPublic}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errOut := verify(files...)
	if code != 0 || !strings.Contains(out, "12 entries, chain intact") || !strings.Contains(out, "3 checkpoints verified") {
		t.Fatalf("oldest first: exit %d\n%s%s", code, out, errOut)
	}
	var res auditVerifyResult
	var jout bytes.Buffer
	runCLI(append([]string{"audit", "verify", "--format", "json"}, files...), nil, &jout, &bytes.Buffer{})
	if err := json.Unmarshal(jout.Bytes(), &res); err != nil || !res.OK || res.Entries != 12 || len(res.Files) != 3 ||
		res.LastCheckpointFile != files[2] || res.LastCheckpoint != 5 || res.Unsigned != 0 {
		t.Fatalf("JSON: %+v %v\n%s", res, err, jout.String())
	}

	for _, tc := range []struct {
		name  string
		files []string
		want  string // in stderr
	}{
		{"the newest alone", files[2:], files[2] + ":1: the log does not start a chain"},
		{"a file missing", []string{files[0], files[2]}, files[2] + ":1: expected entry 5, found entry 8"},
		{"out of order", []string{files[1], files[0], files[2]}, files[1] + ":1: the log does not start a chain"},
		{"swapped", []string{files[0], files[2], files[1]}, files[2] + ":1: expected entry 5, found entry 8"},
	} {
		code, _, errOut := verify(tc.files...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant %q", tc.name, code, errOut, tc.want)
		}
	}
	if _, _, errOut := verify(files[0], files[2]); !strings.Contains(errOut, "give the files oldest first, with none missing") {
		t.Errorf("a file missing: no hint on the order:\n%s", errOut)
	}

	// A middle file cut short: reported there, not as a changed line in
	// the next file.
	b, _ := os.ReadFile(files[1])
	torn := filepath.Join(t.TempDir(), "audit.log.1")
	os.WriteFile(torn, b[:len(b)-10], 0o600)
	code, _, errOut = verify(files[0], torn, files[2])
	if code != 1 || !strings.Contains(errOut, torn+":3: the last line is incomplete") {
		t.Errorf("a torn middle file: exit %d\n%s", code, errOut)
	}
	// A line changed in the middle file is found at its own line.
	changed := filepath.Join(t.TempDir(), "audit.log.1")
	os.WriteFile(changed, bytes.Replace(b, []byte(`"read"`), []byte(`"list"`), 1), 0o600)
	code, _, errOut = verify(files[0], changed, files[2])
	if code != 1 || !strings.Contains(errOut, changed+":1: the line was changed") {
		t.Errorf("a changed line in the middle file: exit %d\n%s", code, errOut)
	}
}
