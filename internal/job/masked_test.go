package job

import (
	"encoding/json"
	"fmt"
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
	secrets, err := MaskSecrets("staging", fetched, res, nil)
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

// TestMaskSecretsPublic: leaves under a field the type marks public are
// marked Public, and an env var holding one is not added as a secret.
func TestMaskSecretsPublic(t *testing.T) {
	fetched := map[string]manifest.Fetched{
		"payments/db": {Status: manifest.StatusOK, Data: json.RawMessage(`{"database":"payments","host":"db.internal","password":"pw-0123456789","port":5432,"replicas":{"a":"replica-a.internal"}}`)},
		"payments.v2": {Status: manifest.StatusOK, Data: json.RawMessage(`{"database":"other-db"}`)},
	}
	res := &manifest.Resolution{Env: []manifest.EnvValue{{Name: "DB_NAME", Value: []byte("payments")}, {Name: "DB_PORT", Value: []byte("5432")}}}
	public := func(path, field string) bool {
		return path == "payments/db" && (field == "database" || field == "host" || field == "replicas" || field == "port")
	}
	secrets, err := MaskSecrets("staging", fetched, res, public)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range secrets {
		got = append(got, fmt.Sprintf("%s=%s public=%v", s.Name, s.Value, s.Public))
	}
	want := []string{
		"payments.v2.database=other-db public=false",
		"payments/db.database=payments public=true",
		"payments/db.host=db.internal public=true",
		"payments/db.password=pw-0123456789 public=false",
		"payments/db.port=5432 public=true",
		"payments/db.replicas.a=replica-a.internal public=true",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
