package job

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Harden makes the calling process non-dumpable where the system allows it
// (Linux: no core file, no /proc/PID/mem or ptrace by other processes of the
// same user) and sets its core size limit to 0 everywhere, so that a crash
// of ward cannot leave the secrets it holds on disk. Call it before
// fetching any secret. The child inherits the core limit of 0.
func Harden() error {
	if err := setNonDumpable(); err != nil {
		return fmt.Errorf("making ward non-dumpable: %w", err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("setting ward's core size limit to 0: %w", err)
	}
	return nil
}
