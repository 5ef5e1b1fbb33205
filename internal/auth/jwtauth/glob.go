package jwtauth

import (
	"fmt"
)

// maxGlobLen bounds a pattern, so matching stays cheap.
const maxGlobLen = 1024

// globToken is one element of a compiled pattern.
type globToken struct {
	kind byte // 'c' a literal byte, '*' a star within a segment, 'S' a double star
	c    byte
}

func compileGlob(p string) ([]globToken, error) {
	if len(p) > maxGlobLen {
		return nil, fmt.Errorf("a glob is longer than %d bytes", maxGlobLen)
	}
	var out []globToken
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			if i+1 == len(p) {
				return nil, fmt.Errorf("glob %q ends with a lone backslash; write \\\\ for a backslash", p)
			}
			i++
			out = append(out, globToken{kind: 'c', c: p[i]})
		case c == '*' && i+1 < len(p) && p[i+1] == '*':
			i++
			if i+1 < len(p) && p[i+1] == '*' {
				return nil, fmt.Errorf("glob %q has three stars in a row; use * (within a segment) or ** (across : and /)", p)
			}
			out = append(out, globToken{kind: 'S'})
		case c == '*':
			out = append(out, globToken{kind: '*'})
		default:
			out = append(out, globToken{kind: 'c', c: c})
		}
	}
	return out, nil
}

func checkGlob(p string) error {
	_, err := compileGlob(p)
	return err
}

// matchGlob reports whether s matches pattern p (see the package doc). It
// runs in O(len(p) * len(s)) time: no pattern can make it explode.
func matchGlob(p, s string) bool {
	toks, err := compileGlob(p)
	if err != nil {
		return false
	}
	// cur[j] reports whether the first i bytes of s can be matched by the
	// first j tokens.
	cur := make([]bool, len(toks)+1)
	next := make([]bool, len(toks)+1)
	cur[0] = true
	for j, t := range toks {
		if t.kind != 'c' && cur[j] {
			cur[j+1] = true // a star matches the empty run
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		clear(next)
		for j, t := range toks {
			switch t.kind {
			case 'c':
				if cur[j] && t.c == c {
					next[j+1] = true
				}
			case '*':
				if (cur[j] || cur[j+1]) && c != ':' && c != '/' {
					next[j+1] = true
				}
			case 'S':
				if cur[j] || cur[j+1] {
					next[j+1] = true
				}
			}
		}
		// Stars may also match nothing after this byte.
		for j, t := range toks {
			if t.kind != 'c' && next[j] {
				next[j+1] = true
			}
		}
		cur, next = next, cur
	}
	return cur[len(toks)]
}
