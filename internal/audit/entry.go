package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strconv"
	"sync"
	"time"
)

// Entry is one audit record as the server describes it. Write never keeps
// it: the line is built from it before Write returns.
//
// Token, Accessor and every leaf of Data are written only as HMACs. The
// other fields are public and are written as they are, so they must never
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
	pool sync.Pool // of hash.Hash, each an HMAC-SHA256 under the key
}

func newHasher(key []byte) *hasher {
	k := append([]byte(nil), key...)
	return &hasher{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}
}

func (h *hasher) sum(value string) string {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(value))
	var out [len(hmacPrefix) + 2*sha256.Size]byte
	copy(out[:], hmacPrefix)
	var sum [sha256.Size]byte
	hex.Encode(out[len(hmacPrefix):], m.Sum(sum[:0]))
	h.pool.Put(m)
	return string(out[:])
}

// encode returns the JSON object of e without its closing brace, ready for
// the chain members to be appended. Members are in the order of Entry's
// fields; empty ones are left out, except time and type.
func (h *hasher) encode(e *Entry, now time.Time) []byte {
	t := e.Time
	if t.IsZero() {
		t = now
	}
	buf := make([]byte, 0, 1024)
	buf = append(buf, `{"time":"`...)
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","type":`...)
	buf = appendString(buf, e.Type)
	buf = appendMember(buf, "request_id", e.RequestID)
	buf = appendMember(buf, "identity", e.Identity)
	if e.Token != "" {
		buf = appendMember(buf, "token", h.sum(e.Token))
	}
	if e.Accessor != "" {
		buf = appendMember(buf, "accessor", h.sum(e.Accessor))
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
		buf = appendValue(buf, h.redactMap(e.Data))
	}
	if len(e.Meta) > 0 {
		buf = append(buf, `,"meta":`...)
		buf = appendStringMap(buf, e.Meta)
	}
	return buf
}

// redactMap returns a copy of m with the same keys and every leaf HMAC'd.
func (h *hasher) redactMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = h.redact(v)
	}
	return out
}

// redact replaces every leaf of v by its HMAC, walking maps and slices. It
// returns nil, a string, or a map[string]any or []any of them.
// A leaf is HMAC'd in its JSON text form (a number as 42, a bool as true), so
// an operator finds it with sys/audit-hash of that text. A value of any other
// type goes through JSON first, so nothing is ever written as it is.
func (h *hasher) redact(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return h.sum(v)
	case bool:
		return h.sum(strconv.FormatBool(v))
	case float64:
		return h.sum(strconv.FormatFloat(v, 'g', -1, 64))
	case json.Number:
		return h.sum(v.String())
	case int:
		return h.sum(strconv.Itoa(v))
	case int64:
		return h.sum(strconv.FormatInt(v, 10))
	case map[string]any:
		return h.redactMap(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = h.redact(x)
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = h.sum(x)
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = h.sum(x)
		}
		return out
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return h.sum("unencodable value")
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&generic) != nil {
		return h.sum("unencodable value")
	}
	return h.redact(generic)
}
