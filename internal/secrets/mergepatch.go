package secrets

import (
	"bytes"
	"encoding/json"
)

// MergePatch applies the JSON merge patch patch to the JSON document target
// as RFC 7386 defines it: an object in patch is merged key by key into
// target, a null removes its key, anything else replaces. Numbers keep their
// exact text; objects in the result have their keys sorted. Both inputs must
// already be valid JSON (see CheckValue); target may be nil (no document).
func MergePatch(target, patch []byte) ([]byte, error) {
	p, err := decodeExact(patch)
	if err != nil {
		return nil, err
	}
	var t any
	if len(target) > 0 {
		if t, err = decodeExact(target); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mergeValue(t, p)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func mergeValue(target, patch any) any {
	po, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	to, ok := target.(map[string]any)
	if !ok {
		to = make(map[string]any, len(po))
	}
	for k, v := range po {
		if v == nil {
			delete(to, k)
			continue
		}
		to[k] = mergeValue(to[k], v)
	}
	return to
}

func decodeExact(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidValue("invalid JSON")
	}
	return v, nil
}
