package plan

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"create", "", "a\nb\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"delete all", "a\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n"},
		{"change one", "a\nb\nc\n", "a\nB\nc\n", "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"insert at end", "a\n", "a\nb\n", "--- a\n+++ b\n@@ -1 +1,2 @@\n a\n+b\n"},
		{"no newline at end", "a\nb", "a\nb\n", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{
			"two hunks",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			"1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n",
			"--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n",
		},
		{
			"close changes share a hunk",
			"1\n2\n3\n4\n5\n6\n7\n8\n",
			"1\nX\n3\n4\n5\n6\nY\n8\n",
			"--- a\n+++ b\n@@ -1,8 +1,8 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n-7\n+Y\n 8\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unified("a", "b", tt.a, tt.b, DefaultContext); got != tt.want {
				t.Errorf("Unified:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestUnifiedRoundTrip applies random diffs back to their first file and
// checks that each edit script is as short as the longest common
// subsequence allows.
func TestUnifiedRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a, b := randomLines(r), randomLines(r)
		d := Unified("a", "b", a, b, r.IntN(4))
		got, err := applyUnified(a, d)
		if err != nil || got != b {
			t.Fatalf("case %d: patch(a, diff) = %q, %v; want %q\na=%q\ndiff:\n%s", i, got, err, b, a, d)
		}
		al, bl := splitLines(a), splitLines(b)
		edits := 0
		for _, e := range diffLines(al, bl) {
			if e.op != ' ' {
				edits++
			}
		}
		if want := len(al) + len(bl) - 2*lcs(al, bl); edits != want {
			t.Fatalf("case %d: %d edits, want the minimum %d", i, edits, want)
		}
	}
}

func randomLines(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(12) {
		fmt.Fprintf(&b, "%c\n", 'a'+rune(r.IntN(4)))
	}
	if b.Len() > 0 && r.IntN(4) == 0 {
		return strings.TrimSuffix(b.String(), "\n")
	}
	return b.String()
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// applyUnified applies a unified diff to a, checking every context and
// deleted line and every hunk's counts.
func applyUnified(a, diff string) (string, error) {
	if diff == "" {
		return a, nil
	}
	src := splitLines(a)
	lines := strings.SplitAfter(diff, "\n")
	var out []string
	pos := 0
	for i := 2; i < len(lines) && lines[i] != ""; {
		m := hunkHeader.FindStringSubmatch(strings.TrimSuffix(lines[i], "\n"))
		if m == nil {
			return "", fmt.Errorf("line %d: not a hunk header: %q", i, lines[i])
		}
		aStart, _ := strconv.Atoi(m[1])
		aLen, bLen := 1, 1
		if m[2] != "" {
			aLen, _ = strconv.Atoi(m[2])
		}
		if m[4] != "" {
			bLen, _ = strconv.Atoi(m[4])
		}
		start := aStart - 1
		if aLen == 0 {
			start = aStart
		}
		out = append(out, src[pos:start]...)
		pos = start
		i++
		gotA, gotB := 0, 0
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			line := lines[i][1:]
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\\ No newline") {
				line = strings.TrimSuffix(line, "\n")
			}
			switch lines[i][0] {
			case ' ', '-':
				if pos >= len(src) || src[pos] != line {
					return "", fmt.Errorf("line %d: %q does not match a's line %d", i, lines[i], pos+1)
				}
				if lines[i][0] == ' ' {
					out = append(out, line)
					gotB++
				}
				pos++
				gotA++
			case '+':
				out = append(out, line)
				gotB++
			case '\\':
			default:
				return "", fmt.Errorf("line %d: unknown line %q", i, lines[i])
			}
			i++
		}
		if gotA != aLen || gotB != bLen {
			return "", fmt.Errorf("hunk %q counts %d,%d lines, has %d,%d", m[0], aLen, bLen, gotA, gotB)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, ""), nil
}

// TestUnifiedLarge takes the bounded path on files too different for the
// search's budget and still produces a diff that applies.
func TestUnifiedLarge(t *testing.T) {
	var a, b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	d := Unified("a", "b", a.String(), b.String(), DefaultContext)
	if got, err := applyUnified(a.String(), d); err != nil || got != b.String() {
		t.Fatalf("the large diff does not apply: %v", err)
	}
}
