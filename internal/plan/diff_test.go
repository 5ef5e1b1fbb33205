package plan

import (
	"reflect"
	"strings"
	"testing"
)

const (
	polRead  = "rules:\n  - path: prod/payments/*\n    capabilities: [read]\n"
	polWider = "rules:\n  - path: prod/payments/*\n    capabilities: [read, list]\n  - path: \"*/shared/**\"\n    capabilities: [read]\n"
)

func TestDiff(t *testing.T) {
	managed := Manages{Envs: true, Policies: true, Types: true}
	current := &State{
		Envs: []Env{{Name: "dev"}, {Name: "prod", RequiredMetadata: [][]string{{"owner"}}}, {Name: "old"}},
		Policies: []Policy{
			{Name: "ci-api", Text: polRead},
			{Name: "gone", Text: polRead},
			{Name: "same", Text: polRead},
		},
		Types: []Type{{Name: "queue", Schema: "{}\n"}, {Name: "stale", Schema: "{}\n"}},
		Secrets: []Secret{
			{Env: "prod", Path: "payments/db", Exists: true, Metadata: map[string]string{"owner": "a", "ticket": "1"}},
			{Env: "prod", Path: "payments/new"},
			{Env: "prod", Path: "payments/same", Exists: true, Metadata: map[string]string{"owner": "a"}},
		},
	}
	desired := &State{
		Manages: managed,
		Envs: []Env{
			{Name: "dev"},
			{Name: "prod", RequiredMetadata: [][]string{{"owner"}, {"expires_at", "rotate_every"}}},
			{Name: "staging"},
		},
		Policies: []Policy{{Name: "ci-api", Text: polWider}, {Name: "same", Text: polRead}},
		Types:    []Type{{Name: "queue", Schema: "{\"type\": \"object\"}\n"}},
		Secrets: []Secret{
			{Env: "prod", Path: "payments/db", Metadata: map[string]string{"owner": "b", "type": "postgres"}},
			{Env: "prod", Path: "payments/new", Metadata: map[string]string{"owner": "a"}},
			{Env: "prod", Path: "payments/same", Metadata: map[string]string{"owner": "a"}},
		},
	}
	tests := []struct {
		name  string
		prune bool
		want  []string // kind name action
	}{
		{"keep", false, []string{
			"environment prod update", "environment staging create", "type queue update",
			"policy ci-api update", "secret prod/payments/db update", "secret prod/payments/new create",
		}},
		{"prune", true, []string{
			"environment prod update", "environment staging create", "environment old delete",
			"type queue update", "type stale delete",
			"policy ci-api update", "policy gone delete",
			"secret prod/payments/db update", "secret prod/payments/new create",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range Diff(current, desired, Options{Prune: tt.prune}) {
				got = append(got, c.Kind+" "+c.Name+" "+c.Action)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	changes := Diff(current, desired, Options{})
	if f := changes[0].Fields; !reflect.DeepEqual(f, []FieldChange{{Field: "required_metadata", New: "expires_at|rotate_every"}}) {
		t.Errorf("prod's fields = %+v", f)
	}
	db := changes[4]
	wantFields := []FieldChange{{Field: "owner", Old: "a", New: "b"}, {Field: "ticket", Old: "1"}, {Field: "type", New: "postgres"}}
	if !reflect.DeepEqual(db.Fields, wantFields) {
		t.Errorf("payments/db's fields = %+v, want %+v", db.Fields, wantFields)
	}
	pol := changes[3]
	if !strings.Contains(pol.Diff, "--- a/policies/ci-api.yaml\n+++ b/policies/ci-api.yaml\n") || !strings.Contains(pol.Diff, "+    capabilities: [read, list]\n") {
		t.Errorf("ci-api's diff:\n%s", pol.Diff)
	}
	var access []string
	for _, a := range pol.Access {
		access = append(access, a.String())
	}
	wantAccess := []string{
		"ci-api: +read dev/shared/**",
		"ci-api: +read old/shared/**",
		"ci-api: +list prod/payments/*",
		"ci-api: +read prod/shared/**",
		"ci-api: +read staging/shared/**",
	}
	if !reflect.DeepEqual(access, wantAccess) {
		t.Errorf("ci-api's access:\n%s\nwant:\n%s", strings.Join(access, "\n"), strings.Join(wantAccess, "\n"))
	}
}

// TestDiffUnmanaged: a directory without a part prunes nothing of it.
func TestDiffUnmanaged(t *testing.T) {
	current := &State{Envs: []Env{{Name: "prod"}}, Policies: []Policy{{Name: "p", Text: polRead}}, Types: []Type{{Name: "t", Schema: "{}"}}}
	if got := Diff(current, &State{}, Options{Prune: true}); len(got) != 0 {
		t.Errorf("Diff(unmanaged, prune) = %+v, want nothing", got)
	}
}

func TestDiffSameIsEmpty(t *testing.T) {
	st, err := Load("../../examples/ward")
	if err != nil {
		t.Fatal(err)
	}
	cur := *st
	cur.Secrets = nil
	for _, s := range st.Secrets {
		s.Exists = true
		cur.Secrets = append(cur.Secrets, s)
	}
	if got := Diff(&cur, st, Options{Prune: true}); len(got) != 0 {
		t.Errorf("Diff(x, x) = %+v", got)
	}
	if Digest(nil) != Digest([]Change{}) {
		t.Error("the digest of no changes depends on nil")
	}
}

// Marking an environment production, unmarking it and leaving the mark to
// the name are each a change of its "production" field.
func TestDiffProduction(t *testing.T) {
	yes, no := true, false
	current := &State{Envs: []Env{{Name: "live"}, {Name: "prod", Production: &yes}, {Name: "edge", Production: &no}, {Name: "same", Production: &yes}}}
	desired := &State{Manages: Manages{Envs: true}, Envs: []Env{
		{Name: "live", Production: &yes}, {Name: "prod", Production: &no}, {Name: "edge"}, {Name: "same", Production: &yes}, {Name: "new", Production: &yes},
	}}
	got := map[string]FieldChange{}
	for _, c := range Diff(current, desired, Options{}) {
		if len(c.Fields) != 1 {
			t.Fatalf("%s %s: fields %+v, want one", c.Action, c.Name, c.Fields)
		}
		got[c.Name] = c.Fields[0]
	}
	want := map[string]FieldChange{
		"live": {Field: "production", New: "true"},
		"prod": {Field: "production", Old: "true", New: "false"},
		"edge": {Field: "production", Old: "false"},
		"new":  {Field: "production", New: "true"},
	}
	if len(got) != len(want) {
		t.Errorf("changes %+v, want %+v", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %+v, want %+v", name, got[name], w)
		}
	}
}
