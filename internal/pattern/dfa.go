package pattern

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// DFA is a compiled pattern. A matcher starts at Start, follows for each
// code point the Range that holds it (none: the value does not match), and
// matches as soon as it reaches a state with AcceptNow, or at the end of the
// value in a state with AcceptAtEnd. It is immutable once built.
type DFA struct {
	Pattern string
	Start   int
	States  []State
}

// State is one state of a DFA. Trans is sorted and its ranges do not
// overlap.
type State struct {
	Trans       []Range
	AcceptNow   bool // matched, whatever follows
	AcceptAtEnd bool // matched if the value ends here
}

// Range sends the code points Lo..Hi (inclusive) to state Next.
type Range struct {
	Lo, Hi rune
	Next   int
}

// Compile parses pattern as the server's validator does and builds its DFA.
// A syntax error or a construct the DFA cannot express is an
// *UnsupportedError.
func Compile(pattern string) (*DFA, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, &UnsupportedError{pattern, "not a valid regular expression: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
	}
	n := &nfa{pattern: pattern}
	match, _ := n.add(nstate{kind: nMatch})
	start, err := n.build(re, match)
	if err != nil {
		return nil, err
	}
	return determinize(n, start)
}

type subset struct {
	set   []int // sorted NFA states
	begin bool  // the start of the text
}

func (s subset) key() string {
	var b strings.Builder
	if s.begin {
		b.WriteByte('^')
	}
	for _, x := range s.set {
		b.WriteString(strconv.Itoa(x))
		b.WriteByte(',')
	}
	return b.String()
}

// closure follows epsilon moves from seeds; begin allows ^, end allows $.
func (n *nfa) closure(seeds []int, begin, end bool) []int {
	seen := map[int]bool{}
	var out []int
	stack := append([]int(nil), seeds...)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
		st := n.states[s]
		switch {
		case st.kind == nEps, st.kind == nBegin && begin, st.kind == nEnd && end:
			stack = append(stack, st.out...)
		}
	}
	slices.Sort(out)
	return out
}

func (n *nfa) has(set []int, k nkind) bool {
	for _, s := range set {
		if n.states[s].kind == k {
			return true
		}
	}
	return false
}

// determinize builds the search DFA: the pattern may start matching at any
// position, so the NFA's start joins every step.
func determinize(n *nfa, start int) (*DFA, error) {
	d := &DFA{Pattern: n.pattern}
	index := map[string]int{}
	var queue []subset
	get := func(s subset) (int, error) {
		k := s.key()
		if i, ok := index[k]; ok {
			return i, nil
		}
		if len(d.States) >= MaxStates {
			return 0, &UnsupportedError{n.pattern, fmt.Sprintf("the pattern needs more than %d automaton states; use smaller repetition counts", MaxStates)}
		}
		index[k] = len(d.States)
		st := State{AcceptNow: n.has(s.set, nMatch)}
		st.AcceptAtEnd = st.AcceptNow || n.has(n.closure(s.set, s.begin, true), nMatch)
		d.States = append(d.States, st)
		queue = append(queue, s)
		return index[k], nil
	}
	first, _ := get(subset{set: n.closure([]int{start}, true, false), begin: true})
	d.Start = first
	work := 0
	for i := 0; i < len(queue); i++ {
		s := queue[i]
		if d.States[i].AcceptNow {
			continue // a matcher stops here
		}
		// Bound the construction's work, not only its size: a search for
		// a large class repeated many times is slow to build.
		for _, x := range s.set {
			work += 1 + len(n.states[x].ranges)
		}
		if work > MaxWork {
			return nil, &UnsupportedError{n.pattern, "the pattern is too complex to turn into an automaton (large character classes repeated many times); anchor it with ^ or use smaller repetition counts"}
		}
		// Split the code points at every boundary of the set's ranges.
		cuts := []rune{0, unicode.MaxRune + 1}
		for _, x := range s.set {
			if st := n.states[x]; st.kind == nChar {
				for j := 0; j+1 < len(st.ranges); j += 2 {
					cuts = append(cuts, st.ranges[j], st.ranges[j+1]+1)
				}
			}
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		// Each elementary interval's next NFA states, range by range.
		targets := make([][]int, len(cuts)-1)
		for _, x := range s.set {
			st := n.states[x]
			if st.kind != nChar {
				continue
			}
			for k := 0; k+1 < len(st.ranges); k += 2 {
				j, _ := slices.BinarySearch(cuts, st.ranges[k])
				for ; j+1 < len(cuts) && cuts[j] <= st.ranges[k+1]; j++ {
					targets[j] = append(targets[j], st.out[0])
				}
			}
		}
		var trans []Range
		memo := map[string]int{}
		for j := 0; j+1 < len(cuts); j++ {
			lo, hi := cuts[j], cuts[j+1]-1
			next := append([]int{start}, targets[j]...)
			slices.Sort(next)
			next = slices.Compact(next)
			key := fmt.Sprint(next)
			to, ok := memo[key]
			if !ok {
				var err error
				if to, err = get(subset{set: n.closure(next, false, false)}); err != nil {
					return nil, err
				}
				memo[key] = to
			}
			if k := len(trans); k > 0 && trans[k-1].Next == to && trans[k-1].Hi+1 == lo {
				trans[k-1].Hi = hi
			} else {
				trans = append(trans, Range{lo, hi, to})
			}
		}
		d.States[i].Trans = trans
	}
	d.prune()
	return d, nil
}

// prune drops the moves into states from which no match can follow, so
// that a matcher stops at the first code point that rules a match out.
func (d *DFA) prune() {
	dist := d.distances()
	for i := range d.States {
		live := d.States[i].Trans[:0]
		for _, t := range d.States[i].Trans {
			if dist[t.Next] >= 0 {
				live = append(live, t)
			}
		}
		d.States[i].Trans = live
	}
}

// Step returns the state after code point r from state s, or -1.
func (d *DFA) Step(s int, r rune) int {
	t := d.States[s].Trans
	lo, hi := 0, len(t)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < t[m].Lo:
			hi = m
		case r > t[m].Hi:
			lo = m + 1
		default:
			return t[m].Next
		}
	}
	return -1
}

// MatchString reports whether s holds a match of the pattern, as
// regexp.MatchString does. Invalid UTF-8 reads as U+FFFD, as in regexp.
func (d *DFA) MatchString(s string) bool {
	st := d.Start
	for _, r := range s {
		if d.States[st].AcceptNow {
			return true
		}
		if st = d.Step(st, r); st < 0 {
			return false
		}
	}
	return d.States[st].AcceptAtEnd
}
