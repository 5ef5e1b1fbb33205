package scan

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"slices"
)

// match is one detection inside a buffer: the rule, the byte span of what
// was found (end exclusive; for a decoded secret, the span of the encoded
// text), the chain of encodings it was found through and its fingerprint.
type match struct {
	rule        *Rule
	start, end  int
	encoding    string
	fingerprint string
	// sid tells secrets apart within one scan, whatever rule found them:
	// several secrets decoded from one encoded run share its span. It
	// never leaves the process.
	sid uint64
}

// secretID is an unkeyed 64-bit hash of a secret, for sid.
func secretID(secret []byte) uint64 {
	h := fnv.New64a()
	h.Write(secret)
	return h.Sum64()
}

// engine runs a rule set over buffers. It is safe for concurrent use.
type engine struct {
	rules       *RuleSet
	key         []byte // fingerprint key
	decodeDepth int
}

type kwHit struct{ rule, start int }

// scan finds the matches in buf whose keyword (or encoded run) starts
// before limit and calls emit for each, in no particular order. Matches may
// run past limit but never past len(buf).
func (e *engine) scan(buf []byte, limit int, depth int, emit func(match)) {
	var hits []kwHit
	rs := e.rules
	rs.kw.find(buf, func(kw, start int) {
		if start >= limit {
			return
		}
		for _, ri := range rs.kwRule[kw] {
			hits = append(hits, kwHit{ri, start})
		}
	})
	if len(hits) > 1 {
		slices.SortFunc(hits, func(a, b kwHit) int {
			if a.start != b.start {
				return a.start - b.start
			}
			return a.rule - b.rule
		})
		hits = slices.Compact(hits)
	}
	for _, h := range hits {
		r := rs.rules[h.rule]
		if r.Near != "" && !bytes.ContainsAny(buf[h.start:min(len(buf), h.start+r.NearWithin)], r.Near) {
			continue // the cheap test: the regex cannot match here
		}
		from := h.start - r.Before
		if from < 0 {
			continue // the match would start before the buffer
		}
		region := buf[from:min(len(buf), h.start+r.MaxLength)]
		loc := r.re.FindSubmatchIndex(region)
		if loc == nil {
			continue
		}
		s, t := loc[0], loc[1]
		for _, g := range r.secret {
			if loc[2*g] >= 0 {
				s, t = loc[2*g], loc[2*g+1]
				break
			}
		}
		secret := region[s:t]
		if len(secret) == 0 || !r.accept(secret) {
			continue
		}
		emit(match{rule: r, start: from + s, end: from + t, fingerprint: e.fingerprint(r.ID, secret), sid: secretID(secret)})
	}
	if depth < e.decodeDepth {
		e.scanEncoded(buf, limit, depth, emit)
	}
}

// fingerprint is a keyed hash of the rule and the secret: equal secrets
// found by one rule under one key have equal fingerprints; without the key
// nothing about the secret can be learnt or tested from it.
func (e *engine) fingerprint(rule string, secret []byte) string {
	m := hmac.New(sha256.New, e.key)
	m.Write([]byte(rule))
	m.Write([]byte{0})
	m.Write(secret)
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// scanEncoded finds runs of encoded text that start before limit, decodes
// each and scans the result one level deeper; what is found inside is
// reported at the span of the whole encoded run. The decoding is scanned
// between the text around the run on its line (up to contextLen bytes each
// side), so that a name such as "password=" and a closing quote still
// frame a value written in hex or base64; a match that lies wholly in that
// text was found as it is.
func (e *engine) scanEncoded(buf []byte, limit, depth int, emit func(match)) {
	var text []byte
	encodedRuns(buf, limit, func(kind string, start, end int, decoded []byte) {
		ls := max(0, start-contextLen)
		if nl := bytes.LastIndexByte(buf[ls:start], '\n'); nl >= 0 {
			ls += nl + 1
		}
		le := min(len(buf), end+contextLen)
		if nl := bytes.IndexByte(buf[end:le], '\n'); nl >= 0 {
			le = end + nl
		}
		text = append(append(append(text[:0], buf[ls:start]...), decoded...), buf[end:le]...)
		pre, post := start-ls, start-ls+len(decoded)
		e.scan(text, len(text), depth+1, func(m match) {
			if m.end <= pre || m.start >= post {
				return
			}
			enc := kind
			if m.encoding != "" {
				enc += "+" + m.encoding
			}
			emit(match{rule: m.rule, start: start, end: end, encoding: enc, fingerprint: m.fingerprint, sid: m.sid})
		})
	})
}

// contextLen is how much of the line on each side of an encoded run is
// scanned with its decoding.
const contextLen = 64
