package secrets

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

func TestMergePatchVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/mergepatch.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Target json.RawMessage `json:"target"`
		Patch  json.RawMessage `json:"patch"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	for i, v := range vectors {
		got, err := MergePatch(v.Target, v.Patch)
		if err != nil {
			t.Errorf("vector %d: %v", i, err)
			continue
		}
		if !jsonEqual(t, got, v.Result) {
			t.Errorf("vector %d: MergePatch(%s, %s) = %s; want %s", i, v.Target, v.Patch, got, v.Result)
		}
	}
}

// jsonEqual compares two JSON documents by value, numbers by their text.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	da, err := decodeExact(a)
	if err != nil {
		t.Fatalf("decode %s: %v", a, err)
	}
	db, err := decodeExact(b)
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return reflect.DeepEqual(da, db)
}

func TestMergePatchKeepsHTMLAndUnicode(t *testing.T) {
	got, err := MergePatch([]byte(`{"a":"<&>"}`), []byte(`{"b":"é\u2028"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte(`"<&>"`)) {
		t.Errorf("HTML characters escaped: %s", got)
	}
}

func TestPatchSizeLimit(t *testing.T) {
	f := newFixture(t)
	f.kv = New(Config{Storage: f.st, Now: f.clock.Now, MaxValueSize: 64})
	f.put("s", `{"a":"`+repeat("x", 40)+`"}`)
	_, err := f.kv.Patch(f.ctx, "s", json.RawMessage(`{"b":"`+repeat("y", 30)+`"}`), PutOptions{})
	if err == nil || !isTooLarge(err) {
		t.Errorf("patch over the limit: %v", err)
	}
}
