package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/vault"
)

// kvReadBody encodes exactly as the envelope map it stands for.
func TestKVReadBodyIsTheEnvelope(t *testing.T) {
	req := &request{id: "0b7c6bd4-6f43-4a9a-9b7e-2c5d1f4a7e10"}
	created := time.Date(2026, 12, 6, 23, 0, 0, 123, time.FixedZone("x", 3600))
	for _, vm := range []secrets.VersionMetadata{
		{Version: 3, CreatedTime: created},
		{Version: 1, CreatedTime: created, DeletionTime: created.Add(time.Hour), Destroyed: true, CustomMetadata: map[string]string{"owner": "a<b>&c", "type": "postgres"}},
		{Version: 2, CustomMetadata: map[string]string{}},
	} {
		data := json.RawMessage(`{ "user": "svc", "html": "<script>&", "n": [1, 2.50, {"x": null}] }`)
		want, err := json.Marshal(envelope(req, map[string]any{"data": data, "metadata": versionJSON(vm)}))
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(newKVReadBody(req.id, data, vm))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("kvReadBody:\n%s\nenvelope:\n%s", got, want)
		}
		if hand := newKVReadBody(req.id, data, vm).appendJSON(nil); string(hand) != string(want) {
			t.Errorf("kvReadBody.appendJSON:\n%s\nenvelope:\n%s", hand, want)
		}
	}
}

// appendJSON writes the bytes encoding/json writes, on each of its paths:
// the value written as it is, and every case it hands to encoding/json.
func TestKVReadBodyAppendJSON(t *testing.T) {
	created := time.Date(2026, 12, 6, 23, 0, 0, 5, time.UTC)
	for _, tc := range []struct {
		name string
		data string
		vm   secrets.VersionMetadata
		id   string
	}{
		{"compact", `{"user":"svc","password":"p","port":5432,"ok":true,"n":null,"a":[1,{"b":"c"}]}`, secrets.VersionMetadata{Version: 7, CreatedTime: created}, "id-1"},
		{"spaces in strings", `{"k":"a b\tc","e":"\"quoted\" \\ \u00e9"}`, secrets.VersionMetadata{Version: 1}, "id"},
		{"spaces between tokens", "{ \"k\" :\n [1, 2] }", secrets.VersionMetadata{Version: 2}, "id"},
		{"html in the value", `{"h":"<script>&amp;</script>"}`, secrets.VersionMetadata{}, "id"},
		{"beyond ASCII", "{\"u\":\"caf\u00e9 \u2028 \u2029 \xe2\x80\xa8\"}", secrets.VersionMetadata{}, "id"},
		{"invalid UTF-8", "{\"u\":\"\xff\xfe\"}", secrets.VersionMetadata{}, "id"},
		{"custom metadata", `{}`, secrets.VersionMetadata{Destroyed: true, CustomMetadata: map[string]string{"z": "1", "a": "<&>", "m\n": "caf\u00e9", "": "\x01"}}, "id"},
		{"empty custom metadata", `{}`, secrets.VersionMetadata{CustomMetadata: map[string]string{}}, "id"},
		{"odd request id", `[]`, secrets.VersionMetadata{Version: -1}, "a\"b<c>\u2028"},
		{"scalar value", `"s"`, secrets.VersionMetadata{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkKVReadBody(t, tc.id, []byte(tc.data), tc.vm)
		})
	}
}

// checkKVReadBody fails t unless appendJSON of the body writes what
// json.Marshal writes (for a value json.Valid accepts).
func checkKVReadBody(t *testing.T, id string, data []byte, vm secrets.VersionMetadata) {
	t.Helper()
	if !json.Valid(data) {
		t.Fatalf("test value %q is not JSON", data)
	}
	b := newKVReadBody(id, data, vm)
	want, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.appendJSON([]byte("prefix")); string(got) != "prefix"+string(want) {
		t.Errorf("appendJSON:\n%q\njson.Marshal:\n%q", got, want)
	}
}

func FuzzKVReadBody(f *testing.F) {
	f.Add(`{"user":"svc","password":"0123456789abcdef","port":5432}`, "req", "owner", "team <a>", int64(3), true)
	f.Add("{ \"a\" : [ 1 , 2.50e3 , null ] }", "", "", "", int64(0), false)
	f.Add(`{"s":"a\"b\\c \u2028 <>&"}`, "\u2028", "k\x00", "\xff", int64(-5), false)
	f.Fuzz(func(t *testing.T, data, id, key, value string, version int64, destroyed bool) {
		if !json.Valid([]byte(data)) {
			return
		}
		vm := secrets.VersionMetadata{Version: int(version), Destroyed: destroyed,
			CreatedTime: time.Unix(0, version).UTC(), DeletionTime: time.Unix(version, 0).UTC()}
		if key != "" || value != "" {
			vm.CustomMetadata = map[string]string{key: value, "type": value}
		}
		checkKVReadBody(t, id, []byte(data), vm)
	})
}

// A request id is a random UUID-shaped string, new for every request.
func TestNewRequestID(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	a, b := newRequestID(), newRequestID()
	if !shape.MatchString(a) || !shape.MatchString(b) || a == b {
		t.Errorf("request ids %q and %q: want two different 8-4-4-4-12 hex ids", a, b)
	}
}

// The header values responses share are never changed through a
// response's header.
func TestSharedHeaderValues(t *testing.T) {
	h := http.Header{}
	h["Cache-Control"], h["Content-Type"] = headerNoStore, headerJSON
	h.Add("Cache-Control", "private")
	if len(headerNoStore) != 1 || headerNoStore[0] != "no-store" || cap(headerNoStore) != 1 {
		t.Errorf("shared Cache-Control value changed: %q", headerNoStore)
	}
	if got := h.Values("Cache-Control"); len(got) != 2 || got[1] != "private" {
		t.Errorf("Add to a shared value gave %q", got)
	}
}

// Every request is logged at info as one line: its id, method, canonical
// path, status, duration and remote address, and nothing of the token.
func TestRequestLogLine(t *testing.T) {
	logs := &syncBuffer{}
	s := startServer(t, vault.Config{}, Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if st, _ := s.do("GET", "/v1/staging/data/no/such", s.root, ""); st != 404 {
		t.Fatalf("GET = %d, want 404", st)
	}
	var line map[string]any
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, `"msg":"request"`) && strings.Contains(l, "staging/data") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no request line in the log:\n%s", logs.String())
	}
	if line["level"] != "INFO" || line["method"] != "GET" || line["path"] != "/v1/staging/data/no/such" || line["status"] != 404.0 {
		t.Errorf("request line %v", line)
	}
	if id, _ := line["request_id"].(string); len(id) != 36 {
		t.Errorf("request_id %v", line["request_id"])
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms %v", line["duration_ms"])
	}
	if remote, _ := line["remote"].(string); !strings.HasPrefix(remote, "127.0.0.1:") {
		t.Errorf("remote %v", line["remote"])
	}
	if strings.Contains(logs.String(), s.root) {
		t.Error("the log holds the token")
	}
}
