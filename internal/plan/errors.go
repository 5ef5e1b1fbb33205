package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wardhq/ward/internal/suggest"
)

// Problem is one mistake in a directory: a file relative to it, a 1-based
// line and column (0 when the problem is with the file as a whole) and what
// to do about it. Messages quote names and paths, never values.
type Problem struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Msg    string `json:"message"`
}

// String is FILE:LINE:COL: MSG, leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + itoa(p.Line))
		if p.Column > 0 {
			b.WriteString(":" + itoa(p.Column))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem found in a directory or a submitted state,
// sorted by file, line and column.
type Error struct {
	Problems []Problem
}

// Error prints one problem per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects problems while a directory is read.
type problems []Problem

func (ps *problems) add(file string, line, col int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

// at adds a problem at an object's source.
func (ps *problems) at(src Source, format string, args ...any) {
	ps.add(src.File, src.Line, 0, format, args...)
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &Error{Problems: ps}
}

// didYouMean suggests the known word nearest to got, or says which are known.
func didYouMean(got string, known []string) string {
	if s := suggest.Closest(got, known); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return " (known: " + strings.Join(known, ", ") + ")"
}

// quote quotes a name from a file for a message, shortened: a long one is
// more likely a value pasted in the wrong place.
func quote(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…", s[:32])
	}
	return fmt.Sprintf("%q", s)
}

func itoa(n int) string { return strconv.Itoa(n) }
