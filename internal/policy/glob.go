package policy

import "strings"

// glob is a compiled rule path: one matcher per segment.
type glob struct {
	segs []segment
	deep bool // some segment is "**"; else the glob matches only paths of len(segs) segments
	min  int  // the segments that are not "**": a matching path has at least this many
}

type segKind uint8

const (
	segLiteral segKind = iota // matches its text exactly
	segAny                    // "*": any one segment
	segStar                   // "pay*", "*-db": one segment, "*" within it
	segDeep                   // "**": zero or more segments
)

type segment struct {
	kind  segKind
	lit   string   // segLiteral
	parts []string // segStar: the text between the stars, at least two parts
}

// compileGlob compiles a rule path that parseRulePath has accepted.
func compileGlob(path string) glob {
	raw := strings.Split(path, "/")
	g := glob{segs: make([]segment, len(raw))}
	for i, s := range raw {
		switch {
		case s == "**":
			g.segs[i] = segment{kind: segDeep}
			g.deep = true
		case s == "*":
			g.segs[i] = segment{kind: segAny}
		case strings.Contains(s, "*"):
			g.segs[i] = segment{kind: segStar, parts: strings.Split(s, "*")}
		default:
			g.segs[i] = segment{kind: segLiteral, lit: s}
		}
		if s != "**" {
			g.min++
		}
	}
	return g
}

// match reports whether the path segments match g. "**" is handled like "*"
// in the classic wildcard algorithm, over segments instead of bytes: on a
// mismatch, the most recent "**" takes one more segment and matching
// resumes after it. Each other matcher takes exactly one segment, so this
// is exact and needs O(len(path)·len(g.segs)) steps at worst.
func (g *glob) match(path []string) bool {
	if !g.deep {
		if len(path) != len(g.segs) {
			return false
		}
		for i := range path {
			if !g.segs[i].matchOne(path[i]) {
				return false
			}
		}
		return true
	}
	// Quick refusals: too few segments, or a last matcher (which must take
	// the last segment) that does not match it.
	if len(path) < g.min {
		return false
	}
	if last := &g.segs[len(g.segs)-1]; last.kind != segDeep && !last.matchOne(path[len(path)-1]) {
		return false
	}
	p, s := 0, 0
	deepP, deepS := -1, 0
	for s < len(path) {
		if p < len(g.segs) {
			if g.segs[p].kind == segDeep {
				deepP, deepS = p, s
				p++
				continue
			}
			if g.segs[p].matchOne(path[s]) {
				p++
				s++
				continue
			}
		}
		if deepP < 0 {
			return false
		}
		p = deepP + 1
		deepS++
		s = deepS
	}
	for p < len(g.segs) && g.segs[p].kind == segDeep {
		p++
	}
	return p == len(g.segs)
}

// matchOne matches one path segment against a non-"**" matcher.
func (m *segment) matchOne(s string) bool {
	switch m.kind {
	case segLiteral:
		return m.lit == s
	case segAny:
		return true
	case segStar:
		return matchStars(m.parts, s)
	}
	return false
}

// matchStars matches s against the parts of a pattern split at its stars:
// s must begin with the first part, end with the last, and hold the middle
// parts in order between them without overlap. Taking each middle part at
// its leftmost place is always right, since stars match anything.
func matchStars(parts []string, s string) bool {
	first, last := parts[0], parts[len(parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}
