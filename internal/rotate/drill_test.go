package rotate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/rotate"
	"github.com/wardhq/ward/internal/rotate/rotatetest"
)

// leases is a LeaseRevoker over a set of lease ids "ENV/PATH/ID".
type leases struct{ ids map[string]bool }

func (l *leases) under(env, prefix string) []string {
	var out []string
	for id := range l.ids {
		if strings.HasPrefix(id, env+"/"+prefix) {
			out = append(out, id)
		}
	}
	return out
}

func (l *leases) RevokeUnder(_ context.Context, env, prefix string) (int, error) {
	ids := l.under(env, prefix)
	for _, id := range ids {
		delete(l.ids, id)
	}
	return len(ids), nil
}

func (l *leases) CountUnder(_ context.Context, env, prefix string) (int, error) {
	return len(l.under(env, prefix)), nil
}

func TestRetire(t *testing.T) {
	f := newFixture(false)
	f.seed("payments/db", rotate.Meta{Type: "password"})
	ls := &leases{ids: map[string]bool{"prod/payments/db/l1": true, "prod/payments/db/l2": true, "prod/other/l3": true}}
	r := rotate.New(rotate.Config{Store: f.store, Graveyard: f.store, Leases: ls, Now: f.clock.Now,
		Targets: func(*rotate.Secret) rotate.Target { return f.target }})
	// A rotation in its overlap: both values are valid at the target.
	if _, err := r.Rotate(ctx, "prod", "payments/db", rotate.Options{}); err != nil {
		t.Fatal(err)
	}
	if f.target.Valid("prod", "payments/db") != 2 {
		t.Fatal("want two valid values during the overlap")
	}
	f.clock.Advance(time.Minute)
	tomb, err := r.Retire(ctx, rotate.RetireRequest{Env: "prod", Path: "payments/db", By: "alice", Reason: "vendor offboarded"})
	if err != nil {
		t.Fatal(err)
	}
	if f.target.Valid("prod", "payments/db") != 0 {
		t.Fatal("a value is still valid at the target after retirement")
	}
	if len(f.store.Versions("prod", "payments/db")) != 0 {
		t.Fatal("versions left after retirement")
	}
	want := rotate.Tombstone{Env: "prod", Path: "payments/db", By: "alice", Reason: "vendor offboarded", At: t0.Add(time.Minute),
		LastVersion: 2, LeasesRevoked: 2, DisabledAtTarget: true}
	if *tomb != want || *f.store.Tombstone("prod", "payments/db") != want {
		t.Fatalf("tombstone %+v; want %+v", *tomb, want)
	}
	if !ls.ids["prod/other/l3"] || len(ls.ids) != 1 {
		t.Fatalf("leases left %v", ls.ids)
	}
}

func TestRetireTargetDownDestroysNothing(t *testing.T) {
	f := newFixture(false)
	f.seed("db", rotate.Meta{Type: "password"})
	f.target.SetDown(true)
	r := rotate.New(rotate.Config{Store: f.store, Graveyard: f.store, Now: f.clock.Now,
		Targets: func(*rotate.Secret) rotate.Target { return f.target }})
	if _, err := r.Retire(ctx, rotate.RetireRequest{Env: "prod", Path: "db", By: "alice"}); err == nil {
		t.Fatal("retired with the target down")
	}
	if len(f.store.Versions("prod", "db")) != 1 || f.store.Tombstone("prod", "db") != nil {
		t.Fatal("a failed retirement destroyed something")
	}
}

func drillFixture(t *testing.T) (*fixture, *rotate.Driller, *leases, *rotatetest.Readers) {
	f := newFixture(false)
	f.seed("payments/db", rotate.Meta{Type: "password", Owner: "team-pay"})
	f.store.Put("prod", "payments/stripe", rotate.Meta{Type: "api-token", Owner: "team-pay"}, map[string]any{"token": "sk_live_0123456789abcdef"})
	f.target.Seed("prod", "payments/stripe", map[string]any{"token": "sk_live_0123456789abcdef"})
	f.store.Put("prod", "payments/tls", rotate.Meta{Type: "tls", Owner: "team-edge"}, map[string]any{"cert": "c", "key": "k"})
	f.seed("search/db", rotate.Meta{Type: "password"})
	ls := &leases{ids: map[string]bool{"prod/payments/db/l1": true, "prod/search/l2": true}}
	rd := rotatetest.NewReaders()
	rd.Read("prod", "payments/db", "acc-ci", "ci:deploy", t0.Add(-time.Hour))
	rd.Read("prod", "payments/stripe", "acc-old", "ci:old", t0.Add(-48*time.Hour))
	rd.Read("prod", "search/db", "acc-search", "ci:search", t0.Add(-time.Hour))
	d := rotate.NewDriller(rotate.DrillConfig{Engines: []rotate.Engine{f.rotator(nil)}, Leases: ls, Readers: rd, Now: f.clock.Now})
	return f, d, ls, rd
}

func TestDrill(t *testing.T) {
	f, d, ls, rd := drillFixture(t)
	rep, err := d.Run(ctx, rotate.DrillRequest{Env: "prod", Prefix: "payments/", Since: t0.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Leases != 1 || len(ls.ids) != 1 || !ls.ids["prod/search/l2"] {
		t.Fatalf("leases %d, left %v", rep.Leases, ls.ids)
	}
	if len(rep.Tokens) != 1 || rep.Tokens[0].Accessor != "acc-ci" || !rd.Revoked("acc-ci") || rd.Revoked("acc-old") || rd.Revoked("acc-search") {
		t.Fatalf("tokens %+v", rep.Tokens)
	}
	got := map[string]string{}
	for _, s := range rep.Secrets {
		got[s.Path] = s.Action + "/" + s.Verified
	}
	want := map[string]string{"payments/db": "rotated/new works, old dead", "payments/stripe": "rotated/new works, old dead", "payments/tls": "needs a person/"}
	if len(got) != len(want) {
		t.Fatalf("secrets %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: %q; want %q", k, got[k], v)
		}
	}
	if len(rep.Contacts) != 1 || rep.Contacts[0].Owner != "team-edge" || !slices.Equal(rep.Contacts[0].Paths, []string{"payments/tls"}) {
		t.Fatalf("contacts %+v", rep.Contacts)
	}
	// The old values are dead at the target, the new ones current.
	for _, p := range []string{"payments/db", "payments/stripe"} {
		if f.target.Valid("prod", p) != 1 {
			t.Fatalf("%s: old value still valid", p)
		}
		f.mustHold(t, p)
	}
	if v := f.mustHold(t, "search/db").Version; v != 1 {
		t.Fatal("a secret outside the prefix was rotated")
	}
	// Every rotation event carries the drill id.
	for _, ev := range f.events {
		if ev.DrillID != rep.ID {
			t.Fatalf("event %+v without the drill id %s", ev, rep.ID)
		}
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"payments/stripe", "rotated", "contact team-edge about: payments/tls", "acc-ci"} {
		if !strings.Contains(text.String(), s) {
			t.Fatalf("text report lacks %q:\n%s", s, text.String())
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back rotate.DrillReport
	if err := json.Unmarshal(b, &back); err != nil || back.ID != rep.ID || len(back.Secrets) != 3 {
		t.Fatalf("JSON round trip: %v", err)
	}
	for _, secret := range []string{"sk_live_0123456789abcdef", "initial-password-0001"} {
		if strings.Contains(string(b), secret) || strings.Contains(text.String(), secret) {
			t.Fatal("a value appears in the report")
		}
	}
}

func TestDrillDryRunChangesNothing(t *testing.T) {
	f, d, ls, rd := drillFixture(t)
	rep, err := d.Run(ctx, rotate.DrillRequest{Env: "prod", Prefix: "payments/", Since: t0.Add(-24 * time.Hour), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Leases != 1 || len(ls.ids) != 2 || rd.Revoked("acc-ci") || len(rep.Tokens) != 1 {
		t.Fatal("a dry run revoked something")
	}
	for _, s := range rep.Secrets {
		want := "would rotate"
		if s.Path == "payments/tls" {
			want = "needs a person"
		}
		if s.Action != want {
			t.Fatalf("%s: %s", s.Path, s.Action)
		}
	}
	for _, p := range []string{"payments/db", "payments/stripe"} {
		if v := f.mustHold(t, p).Version; v != 1 {
			t.Fatalf("%s rotated in a dry run", p)
		}
	}
	if len(f.events) != 0 {
		t.Fatalf("events in a dry run: %+v", f.events)
	}
}

func TestDrillEmptyPrefix(t *testing.T) {
	_, d, _, _ := drillFixture(t)
	rep, err := d.Run(ctx, rotate.DrillRequest{Env: "prod", Prefix: "nothing/here/"})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !rep.Empty || !strings.Contains(text.String(), "holds nothing") {
		t.Fatalf("empty drill: %+v\n%s", rep, text.String())
	}
}
