package barrier

import (
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/storagetest"
)

func TestViewerConformance(t *testing.T) {
	storagetest.RunViewer(t, func(t *testing.T) storage.Backend {
		return newFixture(t, 7).open(t)
	})
}

// A view decrypts as Get does. One that needs an environment keyring not
// yet loaded runs fn again outside the view, loading it; the next view
// runs fn once.
func TestViewLoadsKeyringsOutsideTheView(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	put(t, b, "env/prod/k", "prod-value")
	put(t, b, "sys/k", "system")

	fresh := f.open(t) // as after a restart: no environment keyring loaded
	for i, wantCalls := range []int{2, 1} {
		calls := 0
		var got []string
		err := fresh.View(ctx, func(r storage.Reader) error {
			calls++
			got = got[:0]
			for _, key := range []string{"sys/k", "env/prod/k"} {
				e, err := r.Get(ctx, key)
				if err != nil {
					return err
				}
				got = append(got, string(e.Value))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("view %d: %v", i+1, err)
		}
		if len(got) != 2 || got[0] != "system" || got[1] != "prod-value" {
			t.Errorf("view %d read %q, want [system prod-value]", i+1, got)
		}
		if calls != wantCalls {
			t.Errorf("view %d ran fn %d times, want %d", i+1, calls, wantCalls)
		}
	}
}

// A view refuses what Get refuses: a sealed barrier, a reserved key, a
// value sealed under another key.
func TestViewRefusesAsGetDoes(t *testing.T) {
	f := newFixture(t, 0)
	if err := f.barrier().View(ctx, func(storage.Reader) error { return nil }); !errors.Is(err, ErrSealed) {
		t.Errorf("View of a sealed barrier = %v, want ErrSealed", err)
	}
	b := f.open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	put(t, b, "env/prod/k", "old")
	if err := b.DestroyEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]error{"core/x": ErrReserved, "env/prod/k": ErrDecrypt} {
		err := b.View(ctx, func(r storage.Reader) error {
			_, err := r.Get(ctx, key)
			return err
		})
		if !errors.Is(err, want) {
			t.Errorf("View reading %s = %v, want %v", key, err, want)
		}
	}
}
