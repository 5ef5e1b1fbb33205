package job

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestHarden(t *testing.T) {
	if err := Harden(); err != nil {
		t.Fatal(err)
	}
	limits, _ := os.ReadFile("/proc/self/limits")
	var core string
	for _, l := range strings.Split(string(limits), "\n") {
		if strings.HasPrefix(l, "Max core file size") {
			core = strings.Join(strings.Fields(l)[4:6], " ")
		}
	}
	if core != "0 0" {
		t.Errorf("core limit %q, want 0 0", core)
	}
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d != 0 {
		t.Errorf("dumpable = %d, %v; want 0", d, err)
	}
}
