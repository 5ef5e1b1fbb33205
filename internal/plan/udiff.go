package plan

import (
	"fmt"
	"strings"
)

// DefaultContext is how many unchanged lines a hunk shows around a change.
const DefaultContext = 3

// maxTrace bounds the memory the diff spends on its search, in ints; past
// it, the rest of the files is shown as deleted and added whole, which is
// still a correct diff, only not the smallest.
const maxTrace = 1 << 22

// Unified returns the unified diff that turns a into b, line by line, with
// context unchanged lines around each change, naming the two sides aName
// and bName; "" when a and b are equal. A last line without a newline is
// marked as diff(1) marks it.
func Unified(aName, bName, a, b string, context int) string {
	if a == b {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	script := diffLines(al, bl)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	for _, h := range hunks(script, context) {
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(h.aStart, h.aLen), hunkRange(h.bStart, h.bLen))
		for _, e := range script[h.from:h.to] {
			var line string
			if e.op == '+' {
				line = bl[e.b]
			} else {
				line = al[e.a]
			}
			out.WriteByte(e.op)
			out.WriteString(strings.TrimSuffix(line, "\n"))
			out.WriteByte('\n')
			if !strings.HasSuffix(line, "\n") {
				out.WriteString("\\ No newline at end of file\n")
			}
		}
	}
	return out.String()
}

// splitLines splits s after each newline; a last line without one is kept.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// edit is one line of an edit script: ' ' kept (a and b), '-' deleted from
// a, '+' inserted from b.
type edit struct {
	op   byte
	a, b int
}

// diffLines returns a shortest edit script from a to b (Myers' O(ND)
// algorithm, after trimming the common head and tail).
func diffLines(a, b []string) []edit {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var script []edit
	for i := range head {
		script = append(script, edit{' ', i, i})
	}
	script = append(script, myers(a[head:len(a)-tail], b[head:len(b)-tail], head, head)...)
	for i := tail; i > 0; i-- {
		script = append(script, edit{' ', len(a) - i, len(b) - i})
	}
	return script
}

// myers diffs a and b, whose first lines are at offsets ao and bo of the
// whole files.
func myers(a, b []string, ao, bo int) []edit {
	n, m := len(a), len(b)
	maxD := n + m
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	found := -1
	for d := 0; d <= maxD && found < 0; d++ {
		if (len(trace)+1)*len(v) > maxTrace {
			return replaceAll(n, m, ao, bo)
		}
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1] // down: an insertion
			} else {
				x = v[off+k-1] + 1 // right: a deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	// Walk back from (n, m) through the saved frontiers.
	var rev []edit
	x, y := n, m
	for d := found; d > 0; d-- {
		pv := trace[d]
		k := x - y
		var prevK int
		if k == -d || k != d && pv[off+k-1] < pv[off+k+1] {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := pv[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, edit{' ', ao + x, bo + y})
		}
		if x == prevX {
			y--
			rev = append(rev, edit{'+', ao + x, bo + y})
		} else {
			x--
			rev = append(rev, edit{'-', ao + x, bo + y})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, edit{' ', ao + x, bo + y})
	}
	out := make([]edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

// replaceAll is the script that deletes all of a and inserts all of b.
func replaceAll(n, m, ao, bo int) []edit {
	out := make([]edit, 0, n+m)
	for i := range n {
		out = append(out, edit{'-', ao + i, bo})
	}
	for j := range m {
		out = append(out, edit{'+', ao + n, bo + j})
	}
	return out
}

// hunk is a run of script[from:to] and the lines it covers on each side
// (starts are 0-based).
type hunk struct {
	from, to     int
	aStart, aLen int
	bStart, bLen int
}

// hunks groups the changes of script with up to context kept lines around
// each; changes closer than 2*context+1 kept lines share a hunk.
func hunks(script []edit, context int) []hunk {
	var out []hunk
	for i := 0; i < len(script); {
		if script[i].op == ' ' {
			i++
			continue
		}
		from := max(i-context, 0)
		end := i // the last change of the hunk
		for j := i + 1; j < len(script); j++ {
			if script[j].op != ' ' {
				if j-end-1 > 2*context {
					break
				}
				end = j
			}
		}
		to := min(end+1+context, len(script))
		h := hunk{from: from, to: to, aStart: -1, bStart: -1}
		for _, e := range script[from:to] {
			if e.op != '+' {
				if h.aStart < 0 {
					h.aStart = e.a
				}
				h.aLen++
			}
			if e.op != '-' {
				if h.bStart < 0 {
					h.bStart = e.b
				}
				h.bLen++
			}
		}
		// An empty side starts where the other side's first line is, as
		// an edit of it records.
		if h.aStart < 0 {
			h.aStart = script[from].a
		}
		if h.bStart < 0 {
			h.bStart = script[from].b
		}
		out = append(out, h)
		i = to
	}
	return out
}

// hunkRange prints a hunk's side as diff(1) does: "start,len" with start
// 1-based, ",len" left out when 1, and an empty side named by the line
// before it.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
