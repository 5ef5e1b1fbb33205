package manifest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wardhq/ward/internal/suggest"
)

// Problem is one mistake in a manifest, at a 1-based line and column.
type Problem struct {
	Line, Column int
	Msg          string
}

// Error lists every problem Parse found in the manifest Name, sorted by
// line and column.
type Error struct {
	Name     string
	Problems []Problem
}

// Error prints one problem per line as NAME:LINE:COL: MSG.
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Format(p))
	}
	return b.String()
}

// Format prints one problem as NAME:LINE:COL: MSG.
func (e *Error) Format(p Problem) string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, p.Line, p.Column, p.Msg)
}

// problems collects problems while a manifest is walked.
type problems []Problem

func (ps *problems) add(line, col int, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	*ps = append(*ps, Problem{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

func (ps problems) err(name string) error {
	if len(ps) == 0 {
		return nil
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
	return &Error{Name: name, Problems: ps}
}

// didYouMean suggests the known word nearest to got, or "".
func didYouMean(got string, known []string) string {
	best := suggest.Closest(got, known)
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// quoteName quotes a key from the manifest for a message, shortened: keys
// are names, but a long one is more likely a value pasted in the wrong place.
func quoteName(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…", s[:32])
	}
	return fmt.Sprintf("%q", s)
}
