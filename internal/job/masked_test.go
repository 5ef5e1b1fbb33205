package job

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/wardhq/ward/internal/manifest"
)

func TestMaskSecrets(t *testing.T) {
	fetched := map[string]manifest.Fetched{
		"payments/db":  {Status: manifest.StatusOK, Data: json.RawMessage(`{"password":"pw-0123456789","port":5432,"nested":{"key":"nested-key-01"}}`)},
		"payments/tls": {Status: manifest.StatusOK, Data: json.RawMessage(`{"cert":"cert-abcdefgh"}`)},
		"shared/gone":  {Status: manifest.StatusNotFound, Error: "no secret at this path"},
	}
	res := &manifest.Resolution{
		Env: []manifest.EnvValue{
			{Name: "DB_PASSWORD", Value: []byte("pw-0123456789")}, // a leaf already
			{Name: "DB_PORT", Value: []byte("5432")},              // not a string leaf
		},
		Files: []manifest.FileValue{{Path: "tls/client.pem", Value: []byte("cert-abcdefgh")}},
	}
	secrets, err := MaskSecrets("staging", fetched, res)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range secrets {
		got = append(got, s.Name+"="+string(s.Value))
	}
	slices.Sort(got)
	want := []string{"DB_PORT=5432", "payments/db.nested.key=nested-key-01", "payments/db.password=pw-0123456789", "payments/tls.cert=cert-abcdefgh"}
	if !slices.Equal(got, want) {
		t.Errorf("MaskSecrets = %q, want %q", got, want)
	}
}
