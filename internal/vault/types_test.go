package vault

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/duration"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/types"
)

const svcSchema = `{"type": "object", "required": ["token"], "properties": {"token": {"type": "string", "minLength": 8}, "region": {"type": "string", "x-ward-sensitive": false}}}`

func TestTypeRegistry(t *testing.T) {
	ctx := context.Background()
	v, _ := newTestVault(t)
	if _, err := v.PutType(ctx, "svc-token", []byte(svcSchema)); err != nil {
		t.Fatal(err)
	}
	ty, err := v.Type("svc-token")
	if err != nil {
		t.Fatal(err)
	}
	if ty.Sensitive("region") || !ty.Sensitive("token") {
		t.Error("x-ward-sensitive not read")
	}
	if _, err := v.Type("postgres"); err != nil {
		t.Errorf("built-in postgres: %v", err)
	}
	var nf *TypeNotFoundError
	if _, err := v.Type("svc-tokne"); !errors.As(err, &nf) || nf.Suggest != "svc-token" || !errors.Is(err, ErrTypeNotFound) {
		t.Errorf("misspelt type: %v", err)
	}
	names, _ := v.Types()
	if !contains(names, "svc-token") || !contains(names, "postgres") || !contains(names, "tls") {
		t.Errorf("Types() = %v", names)
	}
	if _, err := v.PutType(ctx, "postgres", []byte(svcSchema)); !errors.Is(err, ErrTypeBuiltin) {
		t.Errorf("replacing a built-in: %v", err)
	}
	if err := v.DeleteType(ctx, "postgres"); !errors.Is(err, ErrTypeBuiltin) {
		t.Errorf("deleting a built-in: %v", err)
	}
	var ce *types.CompileError
	if _, err := v.PutType(ctx, "broken", []byte("{\n\"type\": \"object\",\n\"properties\": {\"a\": {\"minLength\": -1}}}")); !errors.As(err, &ce) || ce.Line != 3 {
		t.Errorf("a schema that does not compile: %v", err)
	}
	if _, err := v.Type("broken"); err == nil {
		t.Error("a refused schema was stored")
	}

	// The type survives a seal and unseal, from storage.
	env, _ := v.CreateEnv(ctx, "prod")
	if _, err := env.kv.Put(ctx, "api/token", []byte(`{"token":"abc"}`), secrets.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.kv.SetMetadata(ctx, "api/token", secrets.MetadataUpdate{CustomMetadata: map[string]string{"type": "svc-token"}}); err != nil {
		t.Fatal(err)
	}
	var inUse *TypeInUseError
	if err := v.DeleteType(ctx, "svc-token"); !errors.As(err, &inUse) || inUse.Secrets[0] != "prod/api/token" {
		t.Errorf("deleting a type in use: %v", err)
	}
	conflicts, err := v.TypeConflicts(ctx, "svc-token", []byte(svcSchema))
	if err != nil || len(conflicts) != 1 || conflicts[0].Path != "api/token" || conflicts[0].Problems[0].Field != "token" {
		t.Errorf("TypeConflicts = %+v, %v", conflicts, err)
	}
	for _, c := range conflicts {
		for _, p := range c.Problems {
			if strings.Contains(p.Message, "abc") {
				t.Errorf("a conflict quotes the value: %+v", p)
			}
		}
	}
	if err := env.kv.SetMetadata(ctx, "api/token", secrets.MetadataUpdate{CustomMetadata: map[string]string{"owner": "me"}}); err != nil {
		t.Fatal(err)
	}
	if err := v.DeleteType(ctx, "svc-token"); err != nil {
		t.Fatalf("deleting an unused type: %v", err)
	}
	if _, err := v.Type("svc-token"); !errors.Is(err, ErrTypeNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := v.DeleteType(ctx, "svc-token"); !errors.Is(err, ErrTypeNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestTypeReloadedOnUnseal(t *testing.T) {
	ctx := context.Background()
	v, res := openTestVault(t, Config{})
	shares := res.Shares
	if _, err := v.PutType(ctx, "svc-token", []byte(svcSchema)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.CreateEnv(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	rules := EnvRules{RequiredMetadata: [][]string{{"owner"}, {"expires_at", "rotate_every"}}}
	if err := v.SetEnvRules(ctx, "prod", rules); err != nil {
		t.Fatal(err)
	}
	v.Seal()
	if _, err := v.Unseal(ctx, shares[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Type("svc-token"); err != nil {
		t.Errorf("type after unseal: %v", err)
	}
	got, err := v.EnvRules("prod")
	if err != nil || len(got.RequiredMetadata) != 2 || got.RequiredMetadata[1][1] != "rotate_every" {
		t.Errorf("rules after unseal: %+v %v", got, err)
	}
}

// The ops the plan/apply code commits in one transaction install the same
// state as PutType and SetEnvRules.
func TestTypeAndRulesOps(t *testing.T) {
	ctx := context.Background()
	v, res := openTestVault(t, Config{})
	if _, err := v.CreateEnv(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	top, err := typeOp("svc-token", []byte(svcSchema))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := typeOp("bad", []byte(`{"type": "string"}`)); err == nil {
		t.Error("typeOp took a schema that is not an object")
	}
	rules := EnvRules{RequiredMetadata: [][]string{{"owner"}}}
	rop, err := envRulesOp("prod", rules)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envRulesOp("prod", EnvRules{RequiredMetadata: [][]string{{}}}); !errors.Is(err, ErrInvalidRules) {
		t.Errorf("an empty group: %v", err)
	}
	if err := v.barrier.Transaction(ctx, []storage.Op{top, rop}); err != nil {
		t.Fatal(err)
	}
	v.Seal() // what the ops stored is what an unseal loads
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Type("svc-token"); err != nil {
		t.Error(err)
	}
	if r, _ := v.EnvRules("prod"); len(r.RequiredMetadata) != 1 {
		t.Errorf("rules = %+v", r)
	}
	if err := v.DeleteEnv(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.barrier.Get(ctx, envRulesKey("prod")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the rules outlived their environment: %v", err)
	}
	if _, err := v.CreateEnv(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if r, _ := v.EnvRules("prod"); len(r.RequiredMetadata) != 0 {
		t.Errorf("a recreated environment has the old rules: %+v", r)
	}
}

func TestEnvRulesMissing(t *testing.T) {
	r := EnvRules{RequiredMetadata: [][]string{{"owner"}, {"type"}, {"recipients"}, {"expires_at", "rotate_every"}}}
	tests := []struct {
		custom map[string]string
		want   string
	}{
		{map[string]string{"owner": "a", "type": "t", "recipients": "api", "rotate_every": "90d"}, ""},
		{map[string]string{"owner": "a", "type": "t", "recipients": "api", "expires_at": "2027-01-01T00:00:00Z"}, ""},
		{map[string]string{"owner": "a", "type": "t", "recipients": "api"}, "expires_at or rotate_every"},
		{nil, "owner, type, recipients, expires_at or rotate_every"},
		{map[string]string{"owner": "", "type": "t", "recipients": "api", "rotate_every": "1d"}, "owner"},
	}
	for _, tt := range tests {
		miss := r.Missing(tt.custom)
		var names []string
		for _, g := range miss {
			names = append(names, strings.Join(g, " or "))
		}
		if got := strings.Join(names, ", "); got != tt.want {
			t.Errorf("Missing(%v) = %q, want %q", tt.custom, got, tt.want)
		}
	}
	e := &MissingMetadataError{Env: "prod", Path: "payments/db", Missing: [][]string{{"owner"}, {"expires_at", "rotate_every"}}}
	want := `prod/payments/db: environment "prod" requires metadata owner, expires_at or rotate_every; add it with: ward kv metadata put --env prod payments/db owner=... expires_at=...`
	if e.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", e.Error(), want)
	}
}

func TestParseCadence(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"1w3d", 10 * 24 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"15m", 15 * time.Minute, true},
		{"", 0, false},
		{"0d", 0, false},
		{"-1h", 0, false},
		{"90", 0, false},
		{"d", 0, false},
		{"3x", 0, false},
		{"999999999d", 0, false},
		{"36525d", 36525 * 24 * time.Hour, true},
		{"6000w", 0, false},
		{"36525d36525d", 0, false},
		{"36525d1h", 0, false},
		{"2562047h", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseCadence(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseCadence(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCheckMetadataFormats(t *testing.T) {
	tests := []struct {
		custom map[string]string
		want   string
	}{
		{map[string]string{"expires_at": "2027-01-31T00:00:00Z", "rotate_every": "90d"}, ""},
		{map[string]string{"expires_at": "2027-01-31"}, `prod/db: metadata "expires_at" must be an RFC 3339 time, like 2027-01-31T00:00:00Z`},
		{map[string]string{"rotate_every": "quarterly"}, `prod/db: metadata "rotate_every" must be a duration like 90d, 2w or 36h`},
	}
	for _, tt := range tests {
		err := CheckMetadataFormats("prod", "db", tt.custom)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckMetadataFormats(%v) = %q, want %q", tt.custom, got, tt.want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FuzzParseCadence: metadata is user input; a cadence is positive and
// bounded or refused.
func FuzzParseCadence(f *testing.F) {
	for _, s := range []string{"90d", "2w", "1w3d", "36h", "1d12h30m", "-1h", "36525d", "9999999999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseCadence(s)
		if err == nil && (d <= 0 || d > duration.MaxDays*24*time.Hour) {
			t.Fatalf("ParseCadence(%q) = %v", s, d)
		}
	})
}
