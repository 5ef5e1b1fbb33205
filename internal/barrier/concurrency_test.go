package barrier

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// TestConcurrentUse runs writers and readers on system and environment keys
// while keyrings rotate by schedule and by hand, an environment is created
// and destroyed, and the barrier is sealed and unsealed, under -race. Every
// call must succeed or fail with ErrSealed or ErrNoEnvKey, and every value
// read must be the one written.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, 16)
	b := f.open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	expected := func(err error) bool {
		return err == nil || errors.Is(err, ErrSealed) || errors.Is(err, ErrNoEnvKey) || errors.Is(err, ErrEnvKeyExists)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				for _, key := range []string{fmt.Sprintf("sys/%d/%d", w, i), fmt.Sprintf("env/prod/%d/%d", w, i), fmt.Sprintf("env/tmp/%d/%d", w, i)} {
					if err := b.Put(ctx, entry(key, key)); !expected(err) {
						t.Errorf("Put %s: %v", key, err)
						return
					}
					e, err := b.Get(ctx, key)
					// A value of env/tmp/ may have been written under a
					// destroyed key that a new one cannot open.
					gone := errors.Is(err, storage.ErrNotFound) || errors.Is(err, ErrDecrypt) && strings.HasPrefix(key, "env/tmp/")
					if !expected(err) && !gone {
						t.Errorf("Get %s: %v", key, err)
						return
					}
					if err == nil && string(e.Value) != key {
						t.Errorf("Get %s read another value", key)
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			// Rotate skips an environment destroyed while it runs.
			if _, err := b.Rotate(ctx); err != nil && !errors.Is(err, ErrSealed) {
				t.Errorf("Rotate: %v", err)
			}
		}
	})
	wg.Go(func() {
		for range 20 {
			if err := b.CreateEnvKey(ctx, "tmp"); !expected(err) {
				t.Errorf("CreateEnvKey: %v", err)
			}
			if err := b.DestroyEnvKey(ctx, "tmp"); !expected(err) {
				t.Errorf("DestroyEnvKey: %v", err)
			}
		}
	})
	wg.Go(func() {
		for range 5 {
			b.Seal()
			for _, s := range f.shares[:2] {
				if _, err := b.Unseal(ctx, s); err != nil {
					t.Errorf("Unseal: %v", err)
				}
			}
		}
	})
	wg.Wait()
}
