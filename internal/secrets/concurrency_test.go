package secrets

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
)

// TestCASRace runs 16 writers with the same CAS value, round after round:
// exactly one wins each round and the others see a *CASError naming the
// winner's version.
func TestCASRace(t *testing.T) {
	const writers, rounds = 16, 20
	f := newFixture(t)
	f.kv = New(Config{Storage: yieldingStorage{f.st}, Now: f.clock.Now})
	for round := range rounds {
		var wg sync.WaitGroup
		results := make([]error, writers)
		for w := range writers {
			wg.Go(func() {
				_, results[w] = f.kv.Put(f.ctx, "race", json.RawMessage(`{"w":`+itoa(w)+`}`), PutOptions{CAS: intp(round)})
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range results {
			var cas *CASError
			switch {
			case err == nil:
				wins++
			case errors.As(err, &cas):
				if cas.Expected != round || cas.Current != round+1 {
					t.Errorf("round %d: %v", round, err)
				}
			default:
				t.Errorf("round %d: %v", round, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d writers won; want exactly 1", round, wins)
		}
	}
	if md := f.meta("race"); md.CurrentVersion != rounds {
		t.Errorf("current version %d; want %d", md.CurrentVersion, rounds)
	}
}

// TestConcurrentWriters checks that concurrent writers to one path get
// distinct consecutive versions, while readers and writers of other paths
// run alongside (under -race).
func TestConcurrentWriters(t *testing.T) {
	const writers, each = 16, 25
	f := newFixture(t)
	if err := f.kv.SetConfig(f.ctx, EngineConfig{MaxVersions: 5}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var versions []int
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				vm, err := f.kv.Put(f.ctx, "shared", json.RawMessage(`{"w":1}`), PutOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				versions = append(versions, vm.Version)
				mu.Unlock()
				if _, err := f.kv.Put(f.ctx, "own/"+itoa(w), json.RawMessage(`{"w":1}`), PutOptions{}); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range each {
				// Reads race with trimming: they may miss a version, never fail otherwise.
				if _, err := f.kv.Get(f.ctx, "shared", 0); err != nil && !errors.Is(err, ErrNotFound) {
					t.Error(err)
				}
				if _, err := f.kv.Get(f.ctx, "shared", 3); err != nil && !errors.Is(err, ErrNotFound) {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(versions)
	for i, v := range versions {
		if v != i+1 {
			t.Fatalf("versions not distinct and consecutive: position %d holds %d", i, v)
		}
	}
	md := f.meta("shared")
	if md.CurrentVersion != writers*each || len(md.Versions) != 5 {
		t.Errorf("current %d, kept %d", md.CurrentVersion, len(md.Versions))
	}
	keys, _ := f.st.List(f.ctx, versionsPrefix("shared"))
	if len(keys) != 5 {
		t.Errorf("%d data keys left for 5 kept versions", len(keys))
	}
}
