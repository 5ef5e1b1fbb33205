package vault

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

// walked is what WalkEnvMetadata gives: path -> owner@version.
func walked(t *testing.T, v *Vault, env *Env) map[string]string {
	t.Helper()
	out := map[string]string{}
	var order []string
	err := v.WalkEnvMetadata(context.Background(), env, func(s SecretInfo) error {
		out[s.Path] = s.Metadata.CustomMetadata[MetaOwner] + "@" + string(rune('0'+s.Metadata.CurrentVersion))
		order = append(order, s.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(order) {
		t.Errorf("not in path order: %v", order)
	}
	return out
}

// TestMetadataCacheFollowsWrites: every kind of write through the engine,
// and apply's, shows at the next walk; a write beside the engine (another
// server on the same store) shows once the cache is older than its max
// age.
func TestMetadataCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)}
	st := &readCounting{Backend: memory.New()}
	v, _ := openTestVault(t, Config{Now: clk.Now, Storage: st}, "staging")
	env, err := v.Env("staging")
	if err != nil {
		t.Fatal(err)
	}
	put := func(p, owner string) {
		t.Helper()
		if err := env.SetSecretMetadata(ctx, p, secrets.MetadataUpdate{CustomMetadata: map[string]string{MetaOwner: owner}}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.PutSecret(ctx, p, json.RawMessage(`{"k":"v"}`), nil); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, want map[string]string) {
		t.Helper()
		if got := walked(t, v, env); !mapsEqual(got, want) {
			t.Errorf("%s: walk gives %v, want %v", what, got, want)
		}
	}
	put("b/one", "team-b")
	put("a/two", "team-a")
	check("first walk", map[string]string{"a/two": "team-a@1", "b/one": "team-b@1"})

	// The cache answers the next walk without reading every record.
	before := st.gets.Load()
	check("unchanged", map[string]string{"a/two": "team-a@1", "b/one": "team-b@1"})
	if n := st.gets.Load() - before; n != 0 {
		t.Errorf("an unchanged walk read %d records", n)
	}

	put("a/two", "team-a2")                                 // a new version, new metadata
	put("c/three", "team-c")                                // a new secret
	if err := env.DestroySecret(ctx, "b/one"); err != nil { // gone
		t.Fatal(err)
	}
	before = st.gets.Load()
	check("after writes", map[string]string{"a/two": "team-a2@2", "c/three": "team-c@1"})
	if n := st.gets.Load() - before; n > 4 {
		t.Errorf("after three writes the walk read %d records, want only those written", n)
	}

	// Apply writes metadata in its own transaction, beside the engine.
	desired := &plan.State{Envs: []plan.Env{{Name: "staging"}}, Secrets: []plan.Secret{{Env: "staging", Path: "c/three", Metadata: map[string]string{MetaOwner: "team-applied"}}}}
	if _, err := v.Apply(ctx, desired, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	check("after apply", map[string]string{"a/two": "team-a2@2", "c/three": "team-applied@1"})

	// Another server's write: unseen until the cache is DefaultMetadataMaxAge old.
	other := secrets.New(secrets.Config{Storage: storage.NewPrefixed(v.barrier, envKVPrefix(env.ID)), Now: clk.Now})
	if err := other.SetMetadata(ctx, "a/two", secrets.MetadataUpdate{CustomMetadata: map[string]string{MetaOwner: "elsewhere"}}); err != nil {
		t.Fatal(err)
	}
	check("before max age", map[string]string{"a/two": "team-a2@2", "c/three": "team-applied@1"})
	clk.t = clk.t.Add(DefaultMetadataMaxAge)
	check("after max age", map[string]string{"a/two": "elsewhere@2", "c/three": "team-applied@1"})
}

// readCounting counts the reads that reach storage.
type readCounting struct {
	storage.Backend
	gets atomic.Int64
}

func (s *readCounting) Get(ctx context.Context, key string) (*storage.Entry, error) {
	s.gets.Add(1)
	return s.Backend.Get(ctx, key)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}
