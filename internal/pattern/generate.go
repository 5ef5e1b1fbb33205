package pattern

import (
	"errors"
	"math/rand/v2"
)

// ErrNoMatch is returned by Generate for a pattern nothing matches.
var ErrNoMatch = errors.New("no value matches the pattern")

// distances returns, for each state, the fewest code points that lead to
// a match (-1: none does).
func (d *DFA) distances() []int {
	// A breadth-first search backwards from the accepting states.
	back := make([][]int, len(d.States))
	dist := make([]int, len(d.States))
	var queue []int
	for i, s := range d.States {
		dist[i] = -1
		if s.AcceptAtEnd {
			dist[i] = 0
			queue = append(queue, i)
		}
		for j, t := range s.Trans {
			if j == 0 || s.Trans[j-1].Next != t.Next {
				back[t.Next] = append(back[t.Next], i)
			}
		}
	}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, p := range back[x] {
			if dist[p] < 0 {
				dist[p] = dist[x] + 1
				queue = append(queue, p)
			}
		}
	}
	return dist
}

// Generate returns a random string that matches the pattern, about
// wantLen code points long when the pattern leaves the length open (never
// shorter than the shortest match). It prefers printable ASCII wherever the
// pattern allows it.
func (d *DFA) Generate(rng *rand.Rand, wantLen int) (string, error) {
	return d.GenerateAtLeast(rng, 0, wantLen)
}

// GenerateAtLeast is Generate that ends no match early, before minLen
// code points, where the pattern allows a longer one: for a schema whose
// minLength is above half of wantLen.
func (d *DFA) GenerateAtLeast(rng *rand.Rand, minLen, wantLen int) (string, error) {
	dist := d.distances()
	if dist[d.Start] < 0 {
		return "", ErrNoMatch
	}
	var out []rune
	st := d.Start
	for {
		s := d.States[st]
		if s.AcceptNow && len(out) >= wantLen {
			break
		}
		if s.AcceptAtEnd && (len(out) >= wantLen || dist[st] == 0 && rng.IntN(4) == 0 && len(out) >= max(wantLen/2, minLen)) {
			break
		}
		// Past the wanted length, only steps that get closer to a match.
		var live []Range
		for _, t := range s.Trans {
			if dist[t.Next] >= 0 && (len(out) < wantLen || dist[t.Next] < dist[st]) {
				live = append(live, t)
			}
		}
		if len(live) == 0 {
			if s.AcceptAtEnd {
				break
			}
			return "", ErrNoMatch
		}
		t := pickRange(rng, live)
		out = append(out, pickRune(rng, t.Lo, t.Hi))
		st = t.Next
	}
	return string(out), nil
}

// pickRange prefers ranges that hold printable ASCII.
func pickRange(rng *rand.Rand, rs []Range) Range {
	var ascii []Range
	for _, r := range rs {
		if r.Lo <= '~' && r.Hi >= '!' {
			ascii = append(ascii, r)
		}
	}
	if len(ascii) > 0 && rng.IntN(16) != 0 {
		// Weigh ranges by how many printable characters they hold, so that
		// [A-Za-z0-9] is not one third digits.
		total := 0
		for _, r := range ascii {
			total += int(min(r.Hi, '~') - max(r.Lo, '!') + 1)
		}
		n := rng.IntN(total)
		for _, r := range ascii {
			w := int(min(r.Hi, '~') - max(r.Lo, '!') + 1)
			if n < w {
				return r
			}
			n -= w
		}
	}
	return rs[rng.IntN(len(rs))]
}

// pickRune picks a code point in lo..hi, printable ASCII when it can, never
// a surrogate (which no string holds).
func pickRune(rng *rand.Rand, lo, hi rune) rune {
	if lo <= '~' && hi >= '!' && rng.IntN(16) != 0 {
		a, b := max(lo, '!'), min(hi, '~')
		return a + rune(rng.IntN(int(b-a+1)))
	}
	for range 8 {
		r := lo + rune(rng.IntN(int(min(hi, lo+0xFFFF)-lo+1)))
		if r < 0xD800 || r > 0xDFFF {
			return r
		}
	}
	if lo < 0xD800 {
		return lo
	}
	return 0xE000
}
