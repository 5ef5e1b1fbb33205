package vault

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/rotate"
	"github.com/wardhq/ward/internal/rotate/generate"
	"github.com/wardhq/ward/internal/secrets"
)

// putTyped writes a password secret with metadata.
func putTyped(t *testing.T, e *Env, p string, meta map[string]string, value string) {
	t.Helper()
	ctx := context.Background()
	if err := e.SetSecretMetadata(ctx, p, secrets.MetadataUpdate{CustomMetadata: meta}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutSecret(ctx, p, json.RawMessage(value), nil); err != nil {
		t.Fatal(err)
	}
}

func currentValue(t *testing.T, e *Env, p string) (int, string) {
	t.Helper()
	ver, err := e.kv.Get(context.Background(), p, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ver.Metadata.Version, string(ver.Data)
}

// Another writer's change between WritePending and MakeCurrent wins: the
// rotation fails with ErrConflict, the writer's value is current, and the
// rotation leaves no pending value or record behind.
func TestRotationCheckAndSetLosesNothing(t *testing.T) {
	ctx := context.Background()
	v, _ := openTestVault(t, Config{}, "prod")
	e, _ := v.Env("prod")
	putTyped(t, e, "app/db", map[string]string{MetaType: "password"}, `{"username":"app","password":"first-0123456789abcdef"}`)

	st := rotStore{v}
	rec := &rotate.Record{ID: "r1", Env: "prod", Path: "app/db", From: 1, State: rotate.StatePending, Started: time.Now()}
	to, err := st.WritePending(ctx, rec, map[string]any{"username": "app", "password": "rotated-0123456789abcdef"})
	if err != nil || to != 2 {
		t.Fatalf("WritePending = %d, %v", to, err)
	}
	if data, err := st.Version(ctx, "prod", "app/db", 2); err != nil || data["password"] != "rotated-0123456789abcdef" {
		t.Fatalf("the pending version reads %v, %v", data, err)
	}
	// The other writer.
	if _, err := e.PutSecret(ctx, "app/db", json.RawMessage(`{"username":"app","password":"by-hand-0123456789abcdef"}`), nil); err != nil {
		t.Fatal(err)
	}
	err = st.MakeCurrent(ctx, "prod", "app/db", 1, 2)
	if !errors.Is(err, rotate.ErrConflict) {
		t.Fatalf("MakeCurrent after another write = %v, want ErrConflict", err)
	}
	if n, val := currentValue(t, e, "app/db"); n != 2 || val != `{"password":"by-hand-0123456789abcdef","username":"app"}` && val != `{"username":"app","password":"by-hand-0123456789abcdef"}` {
		t.Fatalf("current = %d %s, want the other writer's version 2", n, val)
	}

	// Through the Rotator: a WritePending that finds another version
	// current changes nothing.
	rec2 := &rotate.Record{ID: "r2", Env: "prod", Path: "app/db", From: 1, State: rotate.StatePending}
	if _, err := st.WritePending(ctx, rec2, map[string]any{"password": "x"}); !errors.Is(err, rotate.ErrConflict) {
		t.Fatalf("WritePending from a stale version = %v, want ErrConflict", err)
	}
}

// A crash after each step of a rotation, then Recover over the real
// store: the old or the new value is current, never neither, and nothing
// half done is left.
func TestRotationRecoverAfterCrash(t *testing.T) {
	ctx := context.Background()
	for _, crashAt := range []rotate.State{rotate.StatePending, rotate.StateApplied} {
		t.Run(string(crashAt), func(t *testing.T) {
			v, _ := openTestVault(t, Config{}, "prod")
			e, _ := v.Env("prod")
			putTyped(t, e, "app/db", map[string]string{MetaType: "password"}, `{"username":"app","password":"first-0123456789abcdef"}`)
			st := rotStore{v}
			rec := &rotate.Record{ID: "r1", Env: "prod", Path: "app/db", From: 1, State: rotate.StatePending, Overlap: time.Hour, Started: time.Now()}
			to, err := st.WritePending(ctx, rec, map[string]any{"username": "app", "password": "rotated-0123456789abcdef"})
			if err != nil {
				t.Fatal(err)
			}
			rec.To, rec.State = to, crashAt
			if err := st.PutRecord(ctx, rec); err != nil {
				t.Fatal(err)
			}
			if err := v.RecoverRotations(ctx); err != nil {
				t.Fatal(err)
			}
			n, val := currentValue(t, e, "app/db")
			if n != 2 || !json.Valid([]byte(val)) {
				t.Fatalf("after recovery: version %d %s, want the new version 2 current (no target to refuse it)", n, val)
			}
			if old, err := st.Version(ctx, "prod", "app/db", 1); err != nil || old["password"] != "first-0123456789abcdef" {
				t.Fatalf("the old version was lost inside its overlap: %v, %v", old, err)
			}
			if raw, _ := st.pending(ctx, e, "app/db"); raw != nil {
				t.Fatal("a pending value is left after recovery")
			}
			got, err := st.Record(ctx, "prod", "app/db")
			if err != nil || got.State != rotate.StateCurrent {
				t.Fatalf("record after recovery = %+v, %v; want current, waiting for its overlap", got, err)
			}
		})
	}
}

// The overlap ends by the clock: Finish (the scheduler's first step)
// destroys the old version then, not before.
func TestRotationOverlapEndsByClock(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	v, _ := openTestVault(t, Config{Now: clock.Now}, "prod")
	e, _ := v.Env("prod")
	putTyped(t, e, "app/token", map[string]string{MetaType: "api-token", MetaOverlap: "2h", MetaRotateEvery: "30d"}, `{"token":"tok_first_0123456789abcdef"}`)
	if _, err := e.RotateSecret(ctx, nil, "app/token"); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Hour)
	if err := v.RotateDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kv.Get(ctx, "app/token", 1); err != nil {
		t.Fatalf("version 1 is gone an hour into a 2h overlap: %v", err)
	}
	clock.t = clock.t.Add(90 * time.Minute)
	if err := v.RotateDue(ctx); err != nil {
		t.Fatal(err)
	}
	if ver, err := e.kv.Get(ctx, "app/token", 1); err == nil || ver != nil && ver.Data != nil {
		t.Fatal("version 1 is still readable after its overlap ended")
	}
	// Due again after rotate_every: the scheduler rotates it.
	clock.t = clock.t.Add(31 * 24 * time.Hour)
	if err := v.RotateDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := currentValue(t, e, "app/token"); n != 3 {
		t.Fatalf("after rotate_every passed: version %d, want 3", n)
	}
}

// A type whose generator cannot satisfy its own schema is refused when it
// is written, and nothing is stored.
func TestTypeWriteRefusesImpossibleGenerator(t *testing.T) {
	ctx := context.Background()
	v, _ := openTestVault(t, Config{})
	src := []byte(`{"type":"object","properties":{"secret":{"type":"string","maxLength":3,"pattern":"^[a-z]{10}$","x-ward-generate":true}}}`)
	_, err := v.WriteType(ctx, "bad-gen", src, false)
	if !errors.Is(err, generate.ErrCannotGenerate) {
		t.Fatalf("writing an impossible generator = %v, want ErrCannotGenerate", err)
	}
	if _, err := v.Type("bad-gen"); err == nil {
		t.Fatal("the refused type was stored")
	}
	ok := []byte(`{"type":"object","properties":{"secret":{"type":"string","minLength":20,"pattern":"^cs_[a-z0-9]+$","x-ward-generate":true}}}`)
	if _, err := v.WriteType(ctx, "good-gen", ok, false); err != nil {
		t.Fatalf("a type whose generator works: %v", err)
	}
}

// A drill's prefix is a path: a hostile one is refused before anything is
// listed, revoked or rotated.
func TestDrillRefusesBadPrefix(t *testing.T) {
	ctx := context.Background()
	v, _ := openTestVault(t, Config{}, "prod")
	e, _ := v.Env("prod")
	putTyped(t, e, "app/db", map[string]string{MetaType: "password"}, `{"password":"first-0123456789abcdef"}`)
	for _, p := range []string{"../prod", "app//db", "/", "app/\x00"} {
		if _, err := e.Drill(ctx, rotate.DrillRequest{Prefix: p}); err == nil {
			t.Errorf("drill on prefix %q: no error", p)
		}
	}
	if n, _ := currentValue(t, e, "app/db"); n != 1 {
		t.Fatalf("a refused drill rotated the secret (version %d)", n)
	}
	rep, err := e.Drill(ctx, rotate.DrillRequest{Prefix: "nothing/here"})
	if err != nil || !rep.Empty {
		t.Fatalf("drill on an empty prefix = %+v, %v; want Empty", rep, err)
	}
}

// A due secret whose type has no generator is never skipped silently: the
// scheduler's reminder shows in the expiring report as "needs a person",
// and the value is left as it was.
func TestScheduledRotationNeedsPerson(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	v, _ := openTestVault(t, Config{Now: clock.Now}, "prod")
	e, _ := v.Env("prod")
	putTyped(t, e, "app/partner", map[string]string{MetaOwner: "team-partners", MetaRotateEvery: "30d"}, `{"note":"by phone"}`)
	clock.t = clock.t.Add(31 * 24 * time.Hour)
	if err := v.RotateDue(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := v.ExpiringSecrets(ctx, []*Env{e}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Path != "app/partner" || list[0].Rotation != "needs a person" || list[0].Owner != "team-partners" {
		t.Fatalf("expiring = %+v, want app/partner marked needs a person", list)
	}
	if n, _ := currentValue(t, e, "app/partner"); n != 1 {
		t.Fatalf("version %d, want 1 untouched", n)
	}
}

// A crash between storing a retired secret's tombstone and destroying it
// leaves its versions under the tombstone; recovery destroys them, and a
// read still answers with the tombstone.
func TestRecoveryFinishesInterruptedRetirement(t *testing.T) {
	ctx := context.Background()
	v, _ := openTestVault(t, Config{}, "prod")
	e, _ := v.Env("prod")
	putTyped(t, e, "team/app/db", map[string]string{MetaType: "password"}, `{"username":"app","password":"first-0123456789abcdef"}`)
	putTyped(t, e, "team/app/kept", map[string]string{MetaType: "password"}, `{"username":"app","password":"kept-0123456789abcdef"}`)

	st := rotStore{v}
	// The crash: the tombstone is stored, nothing else happened.
	if err := st.bury(ctx, e, &rotate.Tombstone{Env: "prod", Path: "team/app/db", By: "root", Reason: "test", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SecretMetadata(ctx, "team/app/db"); err != nil {
		t.Fatalf("before recovery the versions should still be there: %v", err)
	}
	if err := v.RecoverRotations(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SecretMetadata(ctx, "team/app/db"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("after recovery the retired secret's metadata reads %v, want not found", err)
	}
	if _, err := e.kv.Get(ctx, "team/app/db", 1); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("after recovery version 1 reads %v, want not found", err)
	}
	if ts, err := e.Tombstone(ctx, "team/app/db"); err != nil || ts == nil || ts.Reason != "test" {
		t.Fatalf("tombstone after recovery = %+v, %v", ts, err)
	}
	if n, _ := currentValue(t, e, "team/app/kept"); n != 1 {
		t.Fatalf("a secret never retired lost its version: %d", n)
	}
	// Nothing left to finish: a second recovery does nothing.
	if n, err := st.finishBurials(ctx); err != nil || n != 0 {
		t.Fatalf("second finishBurials = %d, %v", n, err)
	}
}

// A CI role logs in once per job: a drill revokes every token of the
// identity that read under the prefix since the given time, not only its
// latest, whether the reads were flushed to storage in between or not.
func TestDrillReadersAreEveryTokenOfAnIdentity(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	v, _ := openTestVault(t, Config{Now: clock.Now}, "prod")
	e, _ := v.Env("prod")
	putTyped(t, e, "app/db", map[string]string{MetaType: "password"}, `{"username":"app","password":"first-0123456789abcdef"}`)

	v.RecordReadBy(e, "app/db", "role-ci", "acc-job-0", 1) // before since
	clock.t = clock.t.Add(time.Hour)
	since := clock.t
	v.RecordReadBy(e, "app/db", "role-ci", "acc-job-1", 1)
	clock.t = clock.t.Add(time.Minute)
	v.RecordReadBy(e, "app/db", "role-ci", "acc-job-2", 1)
	if err := v.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Minute)
	v.RecordReadBy(e, "app/db", "role-ci", "acc-job-3", 1)
	v.RecordReadBy(e, "app/db", "role-ci", "acc-job-2", 1) // job 2 reads again
	v.RecordReadBy(e, "app/db", "user-alice", "acc-alice", 1)

	rs, err := tokenReaders{v}.ReadersSince(ctx, "prod", "app", since)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Identity+"/"+r.Accessor)
	}
	want := []string{"user-alice/acc-alice", "role-ci/acc-job-1", "role-ci/acc-job-2", "role-ci/acc-job-3"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("readers since %v = %v, want %v", since, got, want)
	}
	if err := v.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := v.SecretUsage(ctx, e, "app/db")
	if err != nil {
		t.Fatal(err)
	}
	if r := u.Readers["role-ci"]; r.Accessor != "acc-job-2" || len(r.Earlier) != 3 {
		t.Fatalf("stored reads of role-ci = %+v, want acc-job-2 latest and 3 earlier tokens", r)
	}
}

// A crash leaves a rotation pending; another writer then writes the
// version the rotation had reserved. Recovery keeps the writer's version
// (never destroys or relabels it) and drops the pending value and record.
func TestRecoveryKeepsAnotherWritersVersion(t *testing.T) {
	ctx := context.Background()
	v, _ := openTestVault(t, Config{}, "prod")
	e, _ := v.Env("prod")
	putTyped(t, e, "app/db", map[string]string{MetaType: "password"}, `{"username":"app","password":"first-0123456789abcdef"}`)

	st := rotStore{v}
	rec := &rotate.Record{ID: "r1", Env: "prod", Path: "app/db", From: 1, State: rotate.StatePending, Started: time.Now()}
	if to, err := st.WritePending(ctx, rec, map[string]any{"username": "app", "password": "rotated-0123456789abcdef"}); err != nil || to != 2 {
		t.Fatalf("WritePending = %d, %v", to, err)
	}
	// The crash, then the other writer.
	if _, err := e.PutSecret(ctx, "app/db", json.RawMessage(`{"username":"app","password":"by-hand-0123456789abcdef"}`), nil); err != nil {
		t.Fatal(err)
	}
	if err := v.RecoverRotations(ctx); err != nil {
		t.Fatal(err)
	}
	n, val := currentValue(t, e, "app/db")
	if n != 2 || !strings.Contains(val, "by-hand-0123456789abcdef") {
		t.Fatalf("current after recovery = %d %s, want the writer's version 2", n, val)
	}
	if _, err := st.Record(ctx, "prod", "app/db"); !errors.Is(err, rotate.ErrNotFound) {
		t.Fatalf("rotation record after recovery: %v, want none", err)
	}
	if raw, err := st.pending(ctx, e, "app/db"); raw != nil || err != nil {
		t.Fatalf("pending value after recovery: %d bytes, %v; want none", len(raw), err)
	}
	if _, err := e.kv.Get(ctx, "app/db", 1); err != nil {
		t.Fatalf("version 1 after recovery: %v", err)
	}
}
