package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

var errBroken = errors.New("storage broken")

// failingStorage fails every Transaction and Put while broken is set.
type failingStorage struct {
	storage.Backend
	broken bool
}

func (s *failingStorage) Transaction(ctx context.Context, ops []storage.Op) error {
	if s.broken {
		return errBroken
	}
	return s.Backend.Transaction(ctx, ops)
}

func (s *failingStorage) Put(ctx context.Context, e *storage.Entry) error {
	if s.broken {
		return errBroken
	}
	return s.Backend.Put(ctx, e)
}

// TestStorageFailure checks that a failed commit is reported and changes
// nothing: no version number is used up and the cached engine config stays
// what storage holds.
func TestStorageFailure(t *testing.T) {
	f := newFixture(t)
	fs := &failingStorage{Backend: f.st}
	f.kv = New(Config{Storage: fs, Now: f.clock.Now})
	f.put("s", `{"a":1}`)
	fs.broken = true
	steps := map[string]func() error{
		"Put": func() error {
			_, err := f.kv.Put(f.ctx, "s", json.RawMessage(`{"a":2}`), PutOptions{})
			return err
		},
		"Patch": func() error {
			_, err := f.kv.Patch(f.ctx, "s", json.RawMessage(`{"a":2}`), PutOptions{})
			return err
		},
		"Delete":         func() error { return f.kv.Delete(f.ctx, "s") },
		"Destroy":        func() error { return f.kv.Destroy(f.ctx, "s", []int{1}) },
		"SetMetadata":    func() error { return f.kv.SetMetadata(f.ctx, "s", MetadataUpdate{MaxVersions: intp(2)}) },
		"DeleteMetadata": func() error { return f.kv.DeleteMetadata(f.ctx, "s") },
		"SetConfig":      func() error { return f.kv.SetConfig(f.ctx, EngineConfig{CASRequired: true}) },
	}
	for name, step := range steps {
		if err := step(); !errors.Is(err, errBroken) {
			t.Errorf("%s with broken storage: %v", name, err)
		}
	}
	fs.broken = false
	if got := f.mustGet("s", 0); got != `{"a":1}` {
		t.Errorf("after failed writes: %s", got)
	}
	if md := f.meta("s"); md.CurrentVersion != 1 || md.MaxVersions != 0 {
		t.Errorf("after failed writes: current %d max %d", md.CurrentVersion, md.MaxVersions)
	}
	if vm := f.put("s", `{"a":3}`); vm.Version != 2 {
		t.Errorf("next version %d; want 2 (CAS not required: SetConfig failed)", vm.Version)
	}
}
