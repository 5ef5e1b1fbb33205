// Package sharedbench finds the shared bench tools (loggen, copy1m, naive,
// ceiling, corpus) that ward's benchmarks build and run: the folder
// ../shared/bench beside the repository, or one given with -shared. No
// benchmark uses an absolute path of its own, so a clone anywhere works as
// long as the shared folder is beside it.
package sharedbench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrMissing is matched (errors.Is) by the error of Dir for a folder that
// does not hold the tool asked for.
var ErrMissing = errors.New("shared bench tools not found")

// Dir returns the shared bench folder: dir when it is given, else
// ../shared/bench from the repository root. It checks that the folder
// holds need (a tool's directory or file, such as "loggen" or
// "corpus/gen.go").
func Dir(dir, root, need string) (string, error) {
	if dir == "" {
		dir = filepath.Join(root, "..", "shared", "bench")
	}
	if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
		return "", fmt.Errorf("%w: no %s in %s: give the folder with -shared (see bench/README.md)", ErrMissing, need, dir)
	}
	return dir, nil
}

// RepoRoot returns the root of the git repository the command runs in.
func RepoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("run the benchmark inside the ward repository: git rev-parse: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
