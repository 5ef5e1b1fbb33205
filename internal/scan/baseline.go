package scan

import (
	"encoding/json"
	"fmt"
	"os"
)

// Baseline is a set of accepted findings, read from an earlier JSON report
// (ward scan --format json). A finding is in the baseline when an entry has
// its fingerprint (stable when the fingerprint key is: WARD_SCAN_KEY), or
// the same rule, file, member, line and column.
type Baseline struct {
	fps  map[string]bool
	locs map[baselineLoc]bool
}

type baselineLoc struct {
	rule, file, member string
	line, col          int
}

// LoadBaseline reads a JSON report written by ward scan.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var fs []Finding
	if err := json.Unmarshal(data, &fs); err != nil {
		return nil, fmt.Errorf("baseline %s: not a ward scan JSON report: %v", path, err)
	}
	b := &Baseline{fps: map[string]bool{}, locs: map[baselineLoc]bool{}}
	for _, f := range fs {
		if f.Fingerprint != "" {
			b.fps[f.Fingerprint] = true
		}
		b.locs[locOf(f)] = true
	}
	return b, nil
}

func locOf(f Finding) baselineLoc {
	return baselineLoc{f.Rule, f.File, f.Member, f.StartLine, f.StartColumn}
}

// Contains reports whether f is an accepted finding.
func (b *Baseline) Contains(f Finding) bool {
	return b.fps[f.Fingerprint] || b.locs[locOf(f)]
}

// Filter returns the findings not in the baseline.
func (b *Baseline) Filter(fs []Finding) []Finding {
	out := fs[:0:0]
	for _, f := range fs {
		if !b.Contains(f) {
			out = append(out, f)
		}
	}
	return out
}
