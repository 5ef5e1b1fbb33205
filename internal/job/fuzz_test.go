package job

import (
	"strconv"
	"strings"
	"testing"
)

// Names under /dev/shm come from any user of the machine: dirPID must
// accept only DirPrefix, a positive decimal PID, "-" and anything after.
func FuzzDirPID(f *testing.F) {
	for _, s := range []string{"ward-run-123-abcd", "ward-run-0-a", "ward-run-+5-a", "ward-run-99999999999999999999-a", "ward-run--1-a", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		pid, ok := dirPID(name)
		if !ok {
			return
		}
		rest, _ := strings.CutPrefix(name, DirPrefix)
		digits, _, _ := strings.Cut(rest, "-")
		if pid <= 0 || !strings.HasPrefix(name, DirPrefix) || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("dirPID(%q) = %d, true", name, pid)
		}
		if n, err := strconv.Atoi(digits); err != nil || n != pid {
			t.Fatalf("dirPID(%q) = %d, digits %q", name, pid, digits)
		}
	})
}
