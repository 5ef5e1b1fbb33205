// Package pattern compiles a JSON Schema "pattern" into a deterministic
// automaton (DFA) over Unicode code points, so that a program without a
// regular-expression library (the Rust loaders ward codegen writes) can
// match it exactly as the server does, and so that ward synth can walk it
// to make values that match.
//
//	d, err := pattern.Compile(`^sk_(test|live)_[A-Za-z0-9]{16,}$`)
//	d.MatchString(s)                 // what regexp.MatchString(pattern, s) says
//	s, err := d.Generate(rng, 64)    // a string that matches
//
// The pattern is parsed by Go's regexp/syntax with the flags the server's
// validator uses (Perl syntax: ^ and $ match only at the ends of the text),
// and matched as JSON Schema says: a search anywhere in the value, not an
// anchored match. What a DFA cannot express is refused with an
// *UnsupportedError naming the construct: word boundaries (\b, \B),
// multi-line anchors ((?m)^, (?m)$), and patterns whose automaton would
// exceed MaxStates.
package pattern
