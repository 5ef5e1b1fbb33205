//go:build !linux

package job

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

// isolate cannot hide files outside Linux: there is no unprivileged way to
// give one process its own view of the file system.
func isolate(_ *exec.Cmd, _ []string) (*os.File, func(), error) {
	return nil, nil, fmt.Errorf("%w: %s has no private mount namespaces", ErrIsolationUnavailable, runtime.GOOS)
}
