package main

import (
	"os"

	"github.com/wardhq/ward/internal/job"
)

// parseIsolation reads ward run's --token-isolation.
func parseIsolation(s string) (job.Isolation, error) {
	switch s {
	case "auto", "": // "": a runOpts made without flags
		return job.IsolateAuto, nil
	case "require":
		return job.IsolateRequire, nil
	case "off":
		return job.IsolateOff, nil
	}
	return 0, withHint(usagef("--token-isolation %q: want auto, require or off", s), "ward run --token-isolation require -- make test")
}

// hiddenFiles are the files ward run hides from its child: the token
// file, when there is one.
func (g *globals) hiddenFiles() []string {
	f := g.tokenFile()
	if f == "" {
		return nil
	}
	if _, err := os.Lstat(f); err != nil {
		return nil
	}
	return []string{f}
}
