package pattern

import (
	"fmt"
	"regexp/syntax"
	"unicode"
)

// Limits on what Compile builds.
const (
	MaxNFAStates = 20000
	MaxStates    = 4000      // DFA states
	MaxWork      = 4_000_000 // NFA states and ranges visited while building
)

// UnsupportedError is a pattern Compile refuses, and why.
type UnsupportedError struct {
	Pattern string
	Reason  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("pattern %q: %s", e.Pattern, e.Reason)
}

type nkind uint8

const (
	nChar  nkind = iota // consumes one code point in ranges, goes to out[0]
	nEps                // goes to every out without consuming
	nBegin              // goes to out[0] only at the start of the text
	nEnd                // goes to out[0] only at the end of the text
	nMatch
)

type nstate struct {
	kind   nkind
	ranges []rune // lo, hi pairs, for nChar
	out    []int
}

type nfa struct {
	states  []nstate
	pattern string
}

func (n *nfa) add(s nstate) (int, error) {
	if len(n.states) >= MaxNFAStates {
		return 0, &UnsupportedError{n.pattern, fmt.Sprintf("the pattern needs more than %d automaton states; use smaller repetition counts", MaxNFAStates)}
	}
	n.states = append(n.states, s)
	return len(n.states) - 1, nil
}

// build returns the start of an automaton for re that continues at next.
func (n *nfa) build(re *syntax.Regexp, next int) (int, error) {
	switch re.Op {
	case syntax.OpNoMatch:
		return n.add(nstate{kind: nChar, out: []int{next}})
	case syntax.OpEmptyMatch:
		return next, nil
	case syntax.OpLiteral:
		var err error
		for i := len(re.Rune) - 1; i >= 0; i-- {
			r := re.Rune[i]
			ranges := []rune{r, r}
			if re.Flags&syntax.FoldCase != 0 {
				ranges = foldRanges(r)
			}
			if next, err = n.add(nstate{kind: nChar, ranges: ranges, out: []int{next}}); err != nil {
				return 0, err
			}
		}
		return next, nil
	case syntax.OpCharClass:
		return n.add(nstate{kind: nChar, ranges: append([]rune(nil), re.Rune...), out: []int{next}})
	case syntax.OpAnyCharNotNL:
		return n.add(nstate{kind: nChar, ranges: []rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}, out: []int{next}})
	case syntax.OpAnyChar:
		return n.add(nstate{kind: nChar, ranges: []rune{0, unicode.MaxRune}, out: []int{next}})
	case syntax.OpBeginText:
		return n.add(nstate{kind: nBegin, out: []int{next}})
	case syntax.OpEndText:
		return n.add(nstate{kind: nEnd, out: []int{next}})
	case syntax.OpBeginLine, syntax.OpEndLine:
		return 0, &UnsupportedError{n.pattern, "multi-line anchors ((?m)^ and (?m)$) are not supported; use ^ and $ without the m flag"}
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0, &UnsupportedError{n.pattern, `word boundaries (\b, \B) are not supported; spell out the characters around the word`}
	case syntax.OpCapture:
		return n.build(re.Sub[0], next)
	case syntax.OpConcat:
		var err error
		for i := len(re.Sub) - 1; i >= 0; i-- {
			if next, err = n.build(re.Sub[i], next); err != nil {
				return 0, err
			}
		}
		return next, nil
	case syntax.OpAlternate:
		outs := make([]int, len(re.Sub))
		for i, sub := range re.Sub {
			s, err := n.build(sub, next)
			if err != nil {
				return 0, err
			}
			outs[i] = s
		}
		return n.add(nstate{kind: nEps, out: outs})
	case syntax.OpQuest:
		return n.optional(re.Sub[0], next)
	case syntax.OpStar:
		return n.star(re.Sub[0], next)
	case syntax.OpPlus:
		loop, err := n.star(re.Sub[0], next)
		if err != nil {
			return 0, err
		}
		return n.build(re.Sub[0], loop)
	case syntax.OpRepeat:
		var err error
		if re.Max == -1 {
			next, err = n.star(re.Sub[0], next)
		} else {
			tail := next
			for i := 0; i < re.Max-re.Min; i++ {
				if tail, err = n.optionalTo(re.Sub[0], tail, next); err != nil {
					return 0, err
				}
			}
			next = tail
		}
		if err != nil {
			return 0, err
		}
		for i := 0; i < re.Min; i++ {
			if next, err = n.build(re.Sub[0], next); err != nil {
				return 0, err
			}
		}
		return next, nil
	}
	return 0, &UnsupportedError{n.pattern, fmt.Sprintf("the construct %v is not supported", re.Op)}
}

func (n *nfa) optional(sub *syntax.Regexp, next int) (int, error) {
	return n.optionalTo(sub, next, next)
}

// optionalTo is sub then cont, or skip straight to next.
func (n *nfa) optionalTo(sub *syntax.Regexp, cont, next int) (int, error) {
	body, err := n.build(sub, cont)
	if err != nil {
		return 0, err
	}
	return n.add(nstate{kind: nEps, out: []int{body, next}})
}

func (n *nfa) star(sub *syntax.Regexp, next int) (int, error) {
	loop, err := n.add(nstate{kind: nEps})
	if err != nil {
		return 0, err
	}
	body, err := n.build(sub, loop)
	if err != nil {
		return 0, err
	}
	n.states[loop].out = []int{body, next}
	return loop, nil
}

// foldRanges is the case-folding orbit of r as ranges.
func foldRanges(r rune) []rune {
	out := []rune{r, r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		out = append(out, f, f)
	}
	return out
}
