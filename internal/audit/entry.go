package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"sync"
	"time"
)

// Entry is one audit record as the server describes it. Write never keeps
// it: the line is built from it before Write returns.
//
// Token, Accessor and every leaf of Data are written only as HMACs; a part
// of Data whose leaves' HMACs would take much more room than the part itself
// (a long array of tiny elements) is written as one HMAC of the whole part
// (see redactData). The other fields are public and are written as they are, so they must never
// hold a secret: Error is the public text of an error, Meta public context.
type Entry struct {
	Time        time.Time         // set by Write from Config.Now if zero
	Type        string            // "request" or "response"
	RequestID   string            //
	Identity    string            // display name of the token or identity (public)
	Token       string            // raw token, if any: written only as HMAC
	Accessor    string            // token accessor: written only as HMAC
	Policies    []string          //
	Environment string            //
	Path        string            // API path, e.g. "staging/data/payments/db"
	Operation   string            // read, list, create, update, patch, delete, ...
	RemoteAddr  string            //
	Status      int               // responses
	Error       string            // responses; public text only
	Data        map[string]any    // request or response body: keys kept, every leaf HMAC'd
	Meta        map[string]string // public context, e.g. a CI run id
}

// hmacPrefix starts every HMAC'd value in the log.
const hmacPrefix = "hmac-sha256:"

// hasher computes HMACs under one key; it is safe for concurrent use.
type hasher struct {
	pool  sync.Pool // of *mac
	texts *textCache
}

// mac is an HMAC-SHA256 under the key with buffers for its input and sum,
// so that hashing allocates nothing.
type mac struct {
	h   hash.Hash
	in  []byte
	sum [sha256.Size]byte
}

func newHasher(key []byte) *hasher {
	k := append([]byte(nil), key...)
	return &hasher{pool: sync.Pool{New: func() any { return &mac{h: hmac.New(sha256.New, k)} }}, texts: newTextCache()}
}

func (h *hasher) sum(value string) string { return h.sumPrefixed(hmacPrefix, []byte(value)) }

// sumPrefixed returns prefix and the hex HMAC of value.
func (h *hasher) sumPrefixed(prefix string, value []byte) string {
	var out [32 + 2*sha256.Size]byte // room for either prefix
	return string(h.appendSum(out[:0], prefix, value))
}

// appendSum appends prefix and the hex HMAC of value.
func (h *hasher) appendSum(buf []byte, prefix string, value []byte) []byte {
	m := h.pool.Get().(*mac)
	m.h.Reset()
	m.h.Write(value)
	buf = hex.AppendEncode(append(buf, prefix...), m.h.Sum(m.sum[:0]))
	h.pool.Put(m)
	return buf
}

// appendQuotedSum appends the JSON string of hmacPrefix and the hex HMAC
// of value, as appendString(buf, h.sum(value)) does, without the string:
// neither the prefix nor hex needs escaping.
func (h *hasher) appendQuotedSum(buf []byte, value string) []byte {
	m := h.pool.Get().(*mac)
	m.h.Reset()
	m.in = append(m.in[:0], value...)
	m.h.Write(m.in)
	buf = append(buf, '"')
	buf = hex.AppendEncode(append(buf, hmacPrefix...), m.h.Sum(m.sum[:0]))
	if cap(m.in) > 4<<10 {
		m.in = nil // keep no large value alive in the pool
	} else {
		clear(m.in) // nor a small one's bytes
	}
	h.pool.Put(m)
	return append(buf, '"')
}

// encode returns the JSON object of e without its closing brace, ready for
// the chain members to be appended. Members are in the order of Entry's
// fields; empty ones are left out, except time and type. If the line would
// be longer than MaxLine, Data is written as one HMAC; ErrTooLarge is left
// only for public fields too long to write.
// s, when not nil, carries the token's and accessor's HMACs from one entry
// of a request to the next.
// The object is appended to buf.
func (h *hasher) encode(buf []byte, e *Entry, now time.Time, s *sums) ([]byte, error) {
	obj := h.appendEntry(buf, e, now, false, s)
	if len(obj)+maxChainLen > MaxLine && len(e.Data) > 0 {
		// A new buffer: s may hold HMACs appended to obj.
		obj = h.appendEntry(nil, e, now, true, s)
	}
	if len(obj)+maxChainLen > MaxLine {
		return nil, ErrTooLarge
	}
	return obj, nil
}

// appendEntry appends e's object (encode's, without its size checks) to
// buf, with Data as one HMAC if wholeData.
func (h *hasher) appendEntry(buf []byte, e *Entry, now time.Time, wholeData bool, s *sums) []byte {
	if s == nil {
		s = &sums{}
	}
	t := e.Time
	if t.IsZero() {
		t = now
	}
	buf = append(buf, `{"time":"`...)
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","type":`...)
	buf = appendString(buf, e.Type)
	buf = appendMember(buf, "request_id", e.RequestID)
	buf = appendMember(buf, "identity", e.Identity)
	if e.Token != "" {
		buf = s.token.append(h, append(buf, `,"token":`...), e.Token)
	}
	if e.Accessor != "" {
		buf = s.accessor.append(h, append(buf, `,"accessor":`...), e.Accessor)
	}
	if len(e.Policies) > 0 {
		buf = append(buf, `,"policies":`...)
		buf = appendStrings(buf, e.Policies)
	}
	buf = appendMember(buf, "environment", e.Environment)
	buf = appendMember(buf, "path", e.Path)
	buf = appendMember(buf, "operation", e.Operation)
	buf = appendMember(buf, "remote_addr", e.RemoteAddr)
	if e.Status != 0 {
		buf = append(buf, `,"status":`...)
		buf = strconv.AppendInt(buf, int64(e.Status), 10)
	}
	buf = appendMember(buf, "error", e.Error)
	if len(e.Data) > 0 {
		buf = append(buf, `,"data":`...)
		if wholeData {
			buf = appendString(buf, h.sumJSON(e.Data))
		} else {
			buf = h.appendRedacted(buf, h.redactData(e.Data))
		}
	}
	if len(e.Meta) > 0 {
		buf = append(buf, `,"meta":`...)
		buf = appendStringMap(buf, e.Meta)
	}
	return buf
}

// sums remembers the HMACs of the token and the accessor across the entries
// of one WriteAll (a request's and its response's): each is hashed once.
type sums struct{ token, accessor memoSum }

// memoSum is the quoted HMAC of one value, kept for the next entry.
type memoSum struct {
	value  string
	quoted []byte
}

// append appends the quoted HMAC of value, hashing it only if it is not
// the value last appended through m.
func (m *memoSum) append(h *hasher, buf []byte, value string) []byte {
	if m.quoted != nil && m.value == value {
		return append(buf, m.quoted...)
	}
	start := len(buf)
	buf = h.appendQuotedSum(buf, value)
	m.value, m.quoted = value, buf[start:len(buf):len(buf)]
	return buf
}
