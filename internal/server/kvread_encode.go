package server

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// The body of a KV v2 read is written by hand: encoding/json spent more
// on it (reflection, then validating and compacting the stored value a
// second time) than the rest of the response. appendJSON writes exactly
// the bytes json.Marshal writes for the same kvReadBody; a differential
// test and a fuzz target hold the two equal. Whatever the fast paths do
// not cover (a value with spaces between tokens, or with <, > or &, or
// any byte past ASCII, which encoding/json may rewrite) goes through
// encoding/json itself.

// jsonAppender is a response body that writes its own JSON.
type jsonAppender interface {
	appendJSON(buf []byte) []byte
}

var _ jsonAppender = (*kvReadBody)(nil)

// appendJSON appends json.Marshal(b)'s bytes to buf.
func (b *kvReadBody) appendJSON(buf []byte) []byte {
	if b.Auth != nil || b.Warnings != nil || b.WrapInfo != nil {
		return appendMarshal(buf, b) // never set by kvRead: the general path
	}
	buf = append(buf, `{"auth":null,"data":{"data":`...)
	buf = appendRaw(buf, b.Data.Data)
	m := &b.Data.Metadata
	buf = append(buf, `,"metadata":{"created_time":`...)
	buf = appendJSONString(buf, m.CreatedTime)
	buf = append(buf, `,"custom_metadata":`...)
	buf = appendStringMapJSON(buf, m.CustomMetadata)
	buf = append(buf, `,"deletion_time":`...)
	buf = appendJSONString(buf, m.DeletionTime)
	buf = append(buf, `,"destroyed":`...)
	buf = strconv.AppendBool(buf, m.Destroyed)
	buf = append(buf, `,"version":`...)
	buf = strconv.AppendInt(buf, int64(m.Version), 10)
	buf = append(buf, `}},"lease_duration":`...)
	buf = strconv.AppendInt(buf, int64(b.LeaseDuration), 10)
	buf = append(buf, `,"lease_id":`...)
	buf = appendJSONString(buf, b.LeaseID)
	buf = append(buf, `,"mount_type":`...)
	buf = appendJSONString(buf, b.MountType)
	buf = append(buf, `,"renewable":`...)
	buf = strconv.AppendBool(buf, b.Renewable)
	buf = append(buf, `,"request_id":`...)
	buf = appendJSONString(buf, b.RequestID)
	return append(buf, `,"warnings":null,"wrap_info":null}`...)
}

// appendMarshal appends json.Marshal(v), or null if v cannot be encoded
// (never for the values given here).
func appendMarshal(buf []byte, v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		return append(buf, "null"...)
	}
	return append(buf, out...)
}

// appendRaw appends raw (valid JSON) as json.Marshal writes a
// json.RawMessage: compacted, with <, >, &, U+2028 and U+2029 escaped.
func appendRaw(buf []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 || !rawWrittenAsIs(raw) {
		return appendMarshal(buf, raw)
	}
	return append(buf, raw...)
}

// rawWrittenAsIs reports whether json.Marshal writes the valid JSON text
// raw unchanged: no whitespace between tokens and no byte it may escape.
func rawWrittenAsIs(raw []byte) bool {
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c >= 0x80 || c == '<' || c == '>' || c == '&':
			return false
		case inString && c == '\\':
			i++ // the escaped byte cannot end the string
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}

// appendJSONString appends s as json.Marshal writes a string.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return appendMarshal(buf, s)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// appendStringMapJSON appends m as json.Marshal writes a
// map[string]string: null when nil, keys sorted.
func appendStringMapJSON(buf []byte, m map[string]string) []byte {
	if m == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSONString(buf, m[k])
	}
	return append(buf, '}')
}
