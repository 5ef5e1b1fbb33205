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
// file, when ward's token comes from it (no WARD_TOKEN, no --role) or
// when isolation is required.
func (g *globals) hiddenFiles(o *runOpts, isolation job.Isolation) []string {
	if isolation != job.IsolateRequire && (g.getenv("WARD_TOKEN") != "" || o.role.role != "") {
		return nil
	}
	f := g.tokenFile()
	if f == "" {
		return nil
	}
	if _, err := os.Lstat(f); err != nil {
		return nil
	}
	return []string{f}
}
