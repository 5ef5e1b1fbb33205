package auth_test

import (
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/wardtoken"
)

func TestTidy(t *testing.T) {
	f := setup(t, nil)
	_, short := f.envToken(f.root, time.Hour, "a")
	f.envToken(short, time.Hour, "a") // expires with it
	longSecret, long := f.envToken(f.root, 3*time.Hour, "a")
	keepSecret, _ := f.envToken(long, 2*time.Hour, "a")

	// A subtree whose parent's record is gone, as a damaged store might
	// leave it, and index entries that name nothing.
	lostSecret, lost := f.envToken(f.root, 3*time.Hour, "a")
	strandedSecret, stranded := f.envToken(lost, 3*time.Hour, "a")
	f.envToken(stranded, 3*time.Hour, "a")
	nothing := wardtoken.Hash("nothing")
	must(t, f.mem.Transaction(f.ctx, []storage.Op{
		{Kind: storage.OpDelete, Key: "id/" + wardtoken.Hash(lostSecret)},
		{Kind: storage.OpPut, Key: "accessor/" + mustAccessor(t), Value: []byte(nothing)},
		{Kind: storage.OpPut, Key: "env/env-9/" + nothing, Value: []byte{}},
		{Kind: storage.OpPut, Key: "parent/" + wardtoken.Hash(longSecret) + "/" + nothing, Value: []byte{}},
		{Kind: storage.OpPut, Key: "parent/" + wardtoken.Hash("ghost") + "/" + nothing, Value: []byte{}},
	}))

	f.clock.Add(time.Hour)
	n, err := f.store.Tidy(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 2 expired, 2 stranded, 3 entries of the lost token, 4 made up.
	if n != 11 {
		t.Errorf("Tidy removed %d, want 11", n)
	}
	if !f.valid(f.store, longSecret) || !f.valid(f.store, keepSecret) {
		t.Error("Tidy removed a valid token")
	}
	if f.valid(f.store, strandedSecret) {
		t.Error("a token whose parent is gone survived Tidy")
	}
	for prefix, want := range map[string]int{"id/": 3, "accessor/": 3, "env/": 2, "parent/": 2} {
		if got := f.keys(prefix); len(got) != want {
			t.Errorf("%d entries left under %s, want %d: %v", len(got), prefix, want, got)
		}
	}
	if n, err := f.store.Tidy(f.ctx); err != nil || n != 0 {
		t.Errorf("second Tidy: %d, %v", n, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
