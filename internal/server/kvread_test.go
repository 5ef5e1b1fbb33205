package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/secrets"
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
	}
}
