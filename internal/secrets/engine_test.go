package secrets

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

func TestPutGetVersions(t *testing.T) {
	f := newFixture(t)
	vm1 := f.put("payments/db", `{"password": "one", "port": 5432}`)
	f.clock.Advance(time.Second)
	vm2 := f.put("payments/db", `{"password":"two"}`)
	if vm1.Version != 1 || vm2.Version != 2 {
		t.Fatalf("versions %d, %d; want 1, 2", vm1.Version, vm2.Version)
	}
	if !vm2.CreatedTime.Equal(vm1.CreatedTime.Add(time.Second)) {
		t.Errorf("created times %v, %v: not from the clock", vm1.CreatedTime, vm2.CreatedTime)
	}
	if got := f.mustGet("payments/db", 0); got != `{"password":"two"}` {
		t.Errorf("current = %s", got)
	}
	if got := f.mustGet("payments/db", 1); got != `{"password":"one","port":5432}` {
		t.Errorf("version 1 = %s (stored compacted)", got)
	}
	md := f.meta("payments/db")
	if md.CurrentVersion != 2 || md.OldestVersion != 0 || len(md.Versions) != 2 {
		t.Errorf("metadata current %d oldest %d versions %d; want 2, 0, 2", md.CurrentVersion, md.OldestVersion, len(md.Versions))
	}
	if !md.CreatedTime.Equal(vm1.CreatedTime) || !md.UpdatedTime.Equal(vm2.CreatedTime) {
		t.Errorf("created %v updated %v", md.CreatedTime, md.UpdatedTime)
	}
}

// TestVaultSemantics walks each method through the states Vault's KV v2
// documents, checking the error and the state after.
func TestVaultSemantics(t *testing.T) {
	type step func(f *fixture) error
	put := func(data string, cas *int) step {
		return func(f *fixture) error {
			_, err := f.kv.Put(f.ctx, "s", json.RawMessage(data), PutOptions{CAS: cas})
			return err
		}
	}
	tests := []struct {
		name    string
		setup   []step
		do      step
		wantErr error
		check   func(t *testing.T, f *fixture)
	}{
		{name: "get missing secret", do: func(f *fixture) error { _, err := f.get("s", 0); return err }, wantErr: ErrNotFound},
		{name: "get version past current", setup: []step{put(`{"a":1}`, nil)},
			do: func(f *fixture) error { _, err := f.get("s", 2); return err }, wantErr: ErrNotFound},
		{name: "get negative version", setup: []step{put(`{"a":1}`, nil)},
			do: func(f *fixture) error { _, err := f.get("s", -1); return err }, wantErr: ErrBadVersion},
		{name: "cas 0 creates", do: put(`{"a":1}`, intp(0))},
		{name: "cas 0 on existing fails", setup: []step{put(`{"a":1}`, nil)}, do: put(`{"a":2}`, intp(0)), wantErr: &CASError{Expected: 0, Current: 1}},
		{name: "cas current succeeds", setup: []step{put(`{"a":1}`, nil)}, do: put(`{"a":2}`, intp(1))},
		{name: "cas stale fails", setup: []step{put(`{"a":1}`, nil), put(`{"a":2}`, nil)}, do: put(`{"a":3}`, intp(1)), wantErr: &CASError{Expected: 1, Current: 2}},
		{name: "cas on deleted current still counts it", setup: []step{put(`{"a":1}`, nil), func(f *fixture) error { return f.kv.Delete(f.ctx, "s") }},
			do: put(`{"a":2}`, intp(1))},
		{name: "cas required by secret", setup: []step{put(`{"a":1}`, nil), func(f *fixture) error {
			return f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{CASRequired: new(true)})
		}}, do: put(`{"a":2}`, nil), wantErr: ErrCASRequired},
		{name: "cas required by engine", setup: []step{func(f *fixture) error {
			return f.kv.SetConfig(f.ctx, EngineConfig{CASRequired: true})
		}}, do: put(`{"a":2}`, nil), wantErr: ErrCASRequired},
		{name: "cas required by engine, given", setup: []step{func(f *fixture) error {
			return f.kv.SetConfig(f.ctx, EngineConfig{CASRequired: true})
		}}, do: put(`{"a":2}`, intp(0))},
		{name: "cas 0 after metadata-only create", setup: []step{func(f *fixture) error {
			return f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{MaxVersions: intp(3)})
		}}, do: put(`{"a":1}`, intp(0)), check: func(t *testing.T, f *fixture) {
			if md := f.meta("s"); md.CurrentVersion != 1 || md.MaxVersions != 3 {
				t.Errorf("current %d max %d", md.CurrentVersion, md.MaxVersions)
			}
		}},
		{name: "value not an object", do: put(`["a"]`, nil), wantErr: ErrInvalidValue},
		{name: "value duplicate key", do: put(`{"a":1,"a":2}`, nil), wantErr: ErrInvalidValue},
		{name: "delete missing secret is no error", do: func(f *fixture) error { return f.kv.Delete(f.ctx, "s") }},
		{name: "delete current then read", setup: []step{put(`{"a":1}`, nil)},
			do: func(f *fixture) error { f.clock.Advance(time.Minute); return f.kv.Delete(f.ctx, "s") },
			check: func(t *testing.T, f *fixture) {
				v, err := f.get("s", 0)
				if !errors.Is(err, ErrNotFound) || v == nil || v.Data != nil || v.Metadata.DeletionTime.IsZero() || v.Metadata.Version != 1 {
					t.Errorf("Get after delete = %+v, %v; want metadata with deletion time and ErrNotFound", v, err)
				}
				if md := f.meta("s"); !md.UpdatedTime.Equal(md.CreatedTime) {
					t.Errorf("delete moved updated time to %v", md.UpdatedTime)
				}
			}},
		{name: "delete twice keeps first time", setup: []step{put(`{"a":1}`, nil), func(f *fixture) error { return f.kv.Delete(f.ctx, "s") }},
			do: func(f *fixture) error { f.clock.Advance(time.Hour); return f.kv.Delete(f.ctx, "s") },
			check: func(t *testing.T, f *fixture) {
				if got := f.meta("s").Versions[1].DeletionTime; !got.Equal(f.clock.Now().Add(-time.Hour)) {
					t.Errorf("deletion time %v moved", got)
				}
			}},
		{name: "delete versions, undelete", setup: []step{put(`{"a":1}`, nil), put(`{"a":2}`, nil),
			func(f *fixture) error { return f.kv.DeleteVersions(f.ctx, "s", []int{1, 2, 7}) }},
			do: func(f *fixture) error { return f.kv.Undelete(f.ctx, "s", []int{1}) },
			check: func(t *testing.T, f *fixture) {
				if got := f.mustGet("s", 1); got != `{"a":1}` {
					t.Errorf("undeleted version 1 = %s", got)
				}
				if _, err := f.get("s", 2); !errors.Is(err, ErrNotFound) {
					t.Errorf("version 2 still deleted: %v", err)
				}
			}},
		{name: "no versions", setup: []step{put(`{"a":1}`, nil)},
			do: func(f *fixture) error { return f.kv.DeleteVersions(f.ctx, "s", nil) }, wantErr: ErrBadVersion},
		{name: "version 0 in list", setup: []step{put(`{"a":1}`, nil)},
			do: func(f *fixture) error { return f.kv.Destroy(f.ctx, "s", []int{0}) }, wantErr: ErrBadVersion},
		{name: "destroy removes data and cannot be undeleted", setup: []step{put(`{"a":1}`, nil), put(`{"a":2}`, nil)},
			do: func(f *fixture) error { return f.kv.Destroy(f.ctx, "s", []int{1}) },
			check: func(t *testing.T, f *fixture) {
				if _, err := f.st.Get(f.ctx, versionKey("s", 1)); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("destroyed data still in storage: %v", err)
				}
				if err := f.kv.Undelete(f.ctx, "s", []int{1}); err != nil {
					t.Fatal(err)
				}
				v, err := f.get("s", 1)
				if !errors.Is(err, ErrNotFound) || v == nil || !v.Metadata.Destroyed || v.Data != nil {
					t.Errorf("Get destroyed = %+v, %v", v, err)
				}
				if got := f.mustGet("s", 2); got != `{"a":2}` {
					t.Errorf("version 2 = %s", got)
				}
			}},
		{name: "destroy missing secret is no error", do: func(f *fixture) error { return f.kv.Destroy(f.ctx, "s", []int{1}) }},
		{name: "metadata of missing secret", do: func(f *fixture) error { _, err := f.kv.Metadata(f.ctx, "s"); return err }, wantErr: ErrNotFound},
		{name: "delete metadata removes everything", setup: []step{put(`{"a":1}`, nil), put(`{"a":2}`, nil)},
			do: func(f *fixture) error { return f.kv.DeleteMetadata(f.ctx, "s") },
			check: func(t *testing.T, f *fixture) {
				if keys, _ := f.st.List(f.ctx, ""); len(keys) != 0 {
					t.Errorf("storage keys left: %q", keys)
				}
				if vm := f.put("s", `{"a":3}`); vm.Version != 1 {
					t.Errorf("rewrite starts at version %d, want 1", vm.Version)
				}
			}},
		{name: "negative max_versions", do: func(f *fixture) error {
			return f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{MaxVersions: intp(-1)})
		}, wantErr: ErrInvalidMetadata},
		{name: "negative engine max_versions", do: func(f *fixture) error {
			return f.kv.SetConfig(f.ctx, EngineConfig{MaxVersions: -1})
		}, wantErr: ErrInvalidMetadata},
		{name: "bad path", do: func(f *fixture) error {
			_, err := f.kv.Put(f.ctx, "a//b", json.RawMessage(`{}`), PutOptions{})
			return err
		}, wantErr: ErrInvalidPath},
		{name: "patch missing", do: func(f *fixture) error {
			_, err := f.kv.Patch(f.ctx, "s", json.RawMessage(`{"a":1}`), PutOptions{})
			return err
		}, wantErr: ErrNotFound},
		{name: "patch missing with cas", do: func(f *fixture) error {
			_, err := f.kv.Patch(f.ctx, "s", json.RawMessage(`{"a":1}`), PutOptions{CAS: intp(3)})
			return err
		}, wantErr: ErrNotFound},
		{name: "patch deleted current checks cas first", setup: []step{put(`{"a":1}`, nil), func(f *fixture) error { return f.kv.Delete(f.ctx, "s") }},
			do: func(f *fixture) error {
				_, err := f.kv.Patch(f.ctx, "s", json.RawMessage(`{"a":1}`), PutOptions{CAS: intp(0)})
				return err
			}, wantErr: &CASError{Expected: 0, Current: 1}},
		{name: "patch deleted current", setup: []step{put(`{"a":1}`, nil), func(f *fixture) error { return f.kv.Delete(f.ctx, "s") }},
			do: func(f *fixture) error {
				_, err := f.kv.Patch(f.ctx, "s", json.RawMessage(`{"a":1}`), PutOptions{})
				return err
			}, wantErr: ErrNotFound},
		{name: "patch merges", setup: []step{put(`{"a":1,"b":{"c":2,"d":3}}`, nil)},
			do: func(f *fixture) error {
				_, err := f.kv.Patch(f.ctx, "s", json.RawMessage(`{"b":{"c":null,"e":1.50},"z":true}`), PutOptions{CAS: intp(1)})
				return err
			},
			check: func(t *testing.T, f *fixture) {
				if got := f.mustGet("s", 2); got != `{"a":1,"b":{"d":3,"e":1.50},"z":true}` {
					t.Errorf("patched = %s", got)
				}
			}},
		{name: "patch stale cas", setup: []step{put(`{"a":1}`, nil), put(`{"a":2}`, nil)},
			do: func(f *fixture) error {
				_, err := f.kv.Patch(f.ctx, "s", json.RawMessage(`{"b":1}`), PutOptions{CAS: intp(1)})
				return err
			}, wantErr: &CASError{Expected: 1, Current: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for i, s := range tt.setup {
				if err := s(f); err != nil {
					t.Fatalf("setup step %d: %v", i, err)
				}
			}
			err := tt.do(f)
			var wantCAS *CASError
			switch {
			case errors.As(tt.wantErr, &wantCAS):
				var cas *CASError
				if !errors.As(err, &cas) || *cas != *wantCAS {
					t.Fatalf("err = %v; want %v", err, wantCAS)
				}
			case tt.wantErr == nil && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v; want %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func TestMaxVersionsTrimming(t *testing.T) {
	f := newFixture(t)
	for i := 1; i <= 10; i++ {
		f.put("s", `{"n":`+itoa(i)+`}`)
	}
	md := f.meta("s")
	if md.CurrentVersion != 10 || md.OldestVersion != 1 || len(md.Versions) != 10 {
		t.Fatalf("after 10 writes: current %d oldest %d kept %d; want 10, 1, 10 (default keeps 10)", md.CurrentVersion, md.OldestVersion, len(md.Versions))
	}
	f.put("s", `{"n":11}`)
	md = f.meta("s")
	if md.OldestVersion != 2 || len(md.Versions) != 10 || md.Versions[1].Version != 0 {
		t.Fatalf("after 11 writes: oldest %d kept %d", md.OldestVersion, len(md.Versions))
	}
	if _, err := f.get("s", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("trimmed version readable: %v", err)
	}
	if _, err := f.st.Get(f.ctx, versionKey("s", 1)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("trimmed version's data left in storage: %v", err)
	}

	// The larger of the secret's and the engine's setting applies, as in
	// current Vault; lowering it trims at the next write.
	if err := f.kv.SetConfig(f.ctx, EngineConfig{MaxVersions: 2}); err != nil {
		t.Fatal(err)
	}
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{MaxVersions: intp(3)}); err != nil {
		t.Fatal(err)
	}
	if md = f.meta("s"); len(md.Versions) != 10 {
		t.Errorf("SetMetadata trimmed at once: %d versions kept", len(md.Versions))
	}
	f.put("s", `{"n":12}`)
	md = f.meta("s")
	if want := []int{10, 11, 12}; !slices.Equal(sortedKeys(md.Versions), want) || md.OldestVersion != 10 {
		t.Errorf("secret 3, engine 2: kept %v oldest %d; want %v, 10", sortedKeys(md.Versions), md.OldestVersion, want)
	}
	keys, _ := f.st.List(f.ctx, versionsPrefix("s"))
	if len(keys) != 3 {
		t.Errorf("data keys in storage: %q", keys)
	}

	// With the secret's setting back at 0, the engine's applies.
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{MaxVersions: intp(0)}); err != nil {
		t.Fatal(err)
	}
	f.put("s", `{"n":13}`)
	if md = f.meta("s"); !slices.Equal(sortedKeys(md.Versions), []int{12, 13}) || md.OldestVersion != 12 {
		t.Errorf("engine 2: kept %v oldest %d", sortedKeys(md.Versions), md.OldestVersion)
	}
	// A secret setting below the engine's does not lower it.
	if err := f.kv.SetConfig(f.ctx, EngineConfig{MaxVersions: 4}); err != nil {
		t.Fatal(err)
	}
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{MaxVersions: intp(1)}); err != nil {
		t.Fatal(err)
	}
	for i := 14; i <= 20; i++ {
		f.put("s", `{"n":`+itoa(i)+`}`)
	}
	if md = f.meta("s"); len(md.Versions) != 4 || md.OldestVersion != 17 {
		t.Errorf("secret 1, engine 4: kept %v oldest %d", sortedKeys(md.Versions), md.OldestVersion)
	}
}

func sortedKeys[V any](m map[int]V) []int {
	return slices.Sorted(func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

func TestDeleteVersionAfter(t *testing.T) {
	f := newFixture(t)
	if err := f.kv.SetConfig(f.ctx, EngineConfig{DeleteVersionAfter: time.Hour}); err != nil {
		t.Fatal(err)
	}
	vm := f.put("s", `{"a":1}`)
	if want := vm.CreatedTime.Add(time.Hour); !vm.DeletionTime.Equal(want) {
		t.Fatalf("deletion time %v; want %v", vm.DeletionTime, want)
	}
	f.clock.Advance(59 * time.Minute)
	if got := f.mustGet("s", 0); got != `{"a":1}` {
		t.Fatalf("before deletion time: %s", got)
	}
	f.clock.Advance(time.Minute)
	v, err := f.get("s", 0)
	if !errors.Is(err, ErrNotFound) || v == nil || v.Data != nil {
		t.Fatalf("at deletion time: %+v, %v; want deleted", v, err)
	}
	// The smaller non-zero of the secret's and the engine's setting wins.
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{DeleteVersionAfter: new(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	vm = f.put("s", `{"a":2}`)
	if got := vm.DeletionTime.Sub(vm.CreatedTime); got != 10*time.Minute {
		t.Errorf("secret 10m, engine 1h: deletes after %v", got)
	}
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{DeleteVersionAfter: new(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	vm = f.put("s", `{"a":3}`)
	if got := vm.DeletionTime.Sub(vm.CreatedTime); got != time.Hour {
		t.Errorf("secret 2h, engine 1h: deletes after %v", got)
	}
	// Soft delete before the scheduled time moves it to now; undelete clears it.
	f.clock.Advance(time.Minute)
	if err := f.kv.Delete(f.ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if got := f.meta("s").Versions[3].DeletionTime; !got.Equal(f.clock.Now()) {
		t.Errorf("delete before schedule: deletion time %v, want now", got)
	}
	// Undelete reschedules the deletion from now, as Vault does.
	if err := f.kv.Undelete(f.ctx, "s", []int{3}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.meta("s").Versions[3].DeletionTime, f.clock.Now().Add(time.Hour); !got.Equal(want) {
		t.Errorf("undeleted: deletion time %v; want %v", got, want)
	}
	f.clock.Advance(59 * time.Minute)
	if got := f.mustGet("s", 3); got != `{"a":3}` {
		t.Errorf("undeleted = %s", got)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.get("s", 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("undeleted version outlived delete_version_after: %v", err)
	}
	// Without any delete_version_after, undelete clears the deletion time.
	if err := f.kv.SetConfig(f.ctx, EngineConfig{}); err != nil {
		t.Fatal(err)
	}
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{DeleteVersionAfter: new(time.Duration(0))}); err != nil {
		t.Fatal(err)
	}
	if err := f.kv.Undelete(f.ctx, "s", []int{1, 3}); err != nil {
		t.Fatal(err)
	}
	if md := f.meta("s"); !md.Versions[1].DeletionTime.IsZero() || !md.Versions[3].DeletionTime.IsZero() {
		t.Errorf("deletion times left: %v, %v", md.Versions[1].DeletionTime, md.Versions[3].DeletionTime)
	}
}

func TestCustomMetadata(t *testing.T) {
	f := newFixture(t)
	cm := map[string]string{"owner": "payments", "rotate": "90d"}
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{CustomMetadata: cm}); err != nil {
		t.Fatal(err)
	}
	cm["owner"] = "changed by caller"
	vm := f.put("s", `{"a":1}`)
	want := map[string]string{"owner": "payments", "rotate": "90d"}
	if !reflect.DeepEqual(vm.CustomMetadata, want) || !reflect.DeepEqual(f.meta("s").CustomMetadata, want) {
		t.Errorf("custom metadata %v / %v; want %v", vm.CustomMetadata, f.meta("s").CustomMetadata, want)
	}
	v, _ := f.get("s", 1)
	if !reflect.DeepEqual(v.Metadata.CustomMetadata, want) {
		t.Errorf("Get's version custom metadata %v", v.Metadata.CustomMetadata)
	}
	// An update that sets nothing changes nothing and creates nothing.
	if err := f.kv.SetMetadata(f.ctx, "untouched", MetadataUpdate{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kv.Metadata(f.ctx, "untouched"); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty update created metadata: %v", err)
	}
	// SetMetadata on an existing secret leaves UpdatedTime, as Vault does.
	before := f.meta("s").UpdatedTime
	f.clock.Advance(time.Minute)
	// nil leaves it; an empty map clears it.
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{CASRequired: new(false)}); err != nil {
		t.Fatal(err)
	}
	if got := f.meta("s").CustomMetadata; !reflect.DeepEqual(got, want) {
		t.Errorf("nil update changed custom metadata: %v", got)
	}
	if got := f.meta("s").UpdatedTime; !got.Equal(before) {
		t.Errorf("SetMetadata moved updated time from %v to %v", before, got)
	}
	if err := f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{CustomMetadata: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	if got := f.meta("s").CustomMetadata; got != nil {
		t.Errorf("empty update left %v", got)
	}

	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m["k"+itoa(i)] = "v"
		}
		return m
	}
	limits := []struct {
		name string
		cm   map[string]string
		ok   bool
	}{
		{"64 keys", many(64), true},
		{"65 keys", many(65), false},
		{"key of 128 bytes", map[string]string{repeat("k", 128): "v"}, true},
		{"key of 129 bytes", map[string]string{repeat("k", 129): "v"}, false},
		{"value of 512 bytes", map[string]string{"k": repeat("v", 512)}, true},
		{"value of 513 bytes", map[string]string{"k": repeat("v", 513)}, false},
		{"empty key", map[string]string{"": "v"}, false},
		{"empty value", map[string]string{"k": ""}, false},
		{"unprintable key", map[string]string{"k\n": "v"}, false},
		{"unprintable value", map[string]string{"k": "v\x00"}, false},
		{"unicode", map[string]string{"équipe": "paiements ✓"}, true},
	}
	for _, tt := range limits {
		err := f.kv.SetMetadata(f.ctx, "limits", MetadataUpdate{CustomMetadata: tt.cm})
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidMetadata)) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, n*len(s))
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

func TestList(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"payments/db", "payments/api/key", "payments", "web/tls", "zeta"} {
		f.put(p, `{"a":1}`)
	}
	if err := f.kv.SetMetadata(f.ctx, "meta-only", MetadataUpdate{CASRequired: new(true)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"meta-only", "payments", "payments/", "web/", "zeta"}},
		{"payments/", []string{"api/", "db"}},
		{"payments/api/", []string{"key"}},
	}
	for _, tt := range tests {
		got, err := f.kv.List(f.ctx, tt.prefix)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %q, %v; want %q", tt.prefix, got, err, tt.want)
		}
	}
	if _, err := f.kv.List(f.ctx, "nothing/"); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty listing: %v", err)
	}
	if _, err := f.kv.List(f.ctx, "payments"); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("prefix without slash: %v", err)
	}
	// A deleted secret is listed until its metadata goes.
	if err := f.kv.Destroy(f.ctx, "zeta", []int{1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.kv.List(f.ctx, ""); !slices.Contains(got, "zeta") {
		t.Errorf("destroyed secret not listed: %q", got)
	}
	if err := f.kv.DeleteMetadata(f.ctx, "zeta"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.kv.List(f.ctx, ""); slices.Contains(got, "zeta") {
		t.Errorf("deleted metadata still listed: %q", got)
	}
}

// TestStorageLayout pins the documented keys: metadata at m/<path>, data at
// v/<path>/<20-digit version>, engine config at config.
func TestStorageLayout(t *testing.T) {
	f := newFixture(t)
	f.put("a/b", `{"x":1}`)
	f.put("a/b", `{"x":2}`)
	if err := f.kv.SetConfig(f.ctx, EngineConfig{MaxVersions: 4}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, prefix := range []string{"", "m/", "m/a/", "v/", "v/a/", "v/a/b/"} {
		names, err := f.st.List(f.ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if n[len(n)-1] != '/' {
				keys = append(keys, prefix+n)
			}
		}
	}
	want := []string{"config", "m/a/b", "v/a/b/00000000000000000001", "v/a/b/00000000000000000002"}
	if !slices.Equal(keys, want) {
		t.Errorf("storage keys %q; want %q", keys, want)
	}
	// A secret whose path looks like a version key of another does not clash.
	f.put("a/b/00000000000000000001", `{"x":3}`)
	if got := f.mustGet("a/b", 1); got != `{"x":1}` {
		t.Errorf("a/b version 1 = %s", got)
	}
	if err := f.kv.DeleteMetadata(f.ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if got := f.mustGet("a/b/00000000000000000001", 1); got != `{"x":3}` {
		t.Errorf("sibling after DeleteMetadata = %s", got)
	}
}

func TestCheckPath(t *testing.T) {
	good := []string{"a", "payments/db", "a/b/c", "with space/x", "a.b/..c"}
	bad := []string{"", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "a\x00b", repeat("x", MaxPathLen+1)}
	for _, p := range good {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q) = %v", p, err)
		}
	}
	for _, p := range bad {
		var pe *PathError
		if err := CheckPath(p); !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPath) {
			t.Errorf("CheckPath(%q) = %v; want a *PathError", p, err)
		}
	}
}
