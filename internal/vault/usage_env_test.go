package vault

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

// TestDeleteEnvDropsItsUsage is issue 11's false tamper alarm: an
// environment deleted within a second of a read in it made every usage
// read in every environment fail until restart. Its pending records go with
// it; every other environment's are kept and written.
func TestDeleteEnvDropsItsUsage(t *testing.T) {
	ctx := context.Background()
	v, _ := newTestVault(t)
	prod, _ := v.CreateEnv(ctx, "prod")
	staging, _ := v.CreateEnv(ctx, "staging")
	v.RecordRead(prod, "payments/db", "token-api", 3)
	v.RecordRead(staging, "payments/db", "token-api", 1)
	if err := v.DeleteEnv(ctx, "staging"); err != nil {
		t.Fatal(err)
	}
	v.RecordRead(staging, "payments/db", "token-late", 1) // finished as staging went
	v.RecordRead(prod, "payments/db", "token-indexer", 3)
	if err := v.FlushUsage(ctx); err != nil {
		t.Fatalf("FlushUsage after deleting an environment: %v", err)
	}
	u, err := v.SecretUsage(ctx, prod, "payments/db")
	if err != nil {
		t.Fatalf("usage in prod after deleting staging: %v", err)
	}
	if len(u.Readers) != 2 || u.Readers["token-api"].Version != 3 || u.Readers["token-indexer"].Version != 3 {
		t.Errorf("prod's reads made around the deletion were lost: %+v", u)
	}
	// The name comes back as a new environment with no reads.
	staging2, _ := v.CreateEnv(ctx, "staging")
	v.RecordRead(staging2, "payments/db", "token-new", 1)
	u, err = v.SecretUsage(ctx, staging2, "payments/db")
	if err != nil || len(u.Readers) != 1 || u.LastReader != "token-new" {
		t.Fatalf("usage in the new staging: %+v, %v", u, err)
	}
}

// usageFailStore fails writes of one environment's usage records.
type usageFailStore struct {
	storage.Backend
	failEnv atomic.Pointer[string]
}

func (f *usageFailStore) Transaction(ctx context.Context, ops []storage.Op) error {
	if id := f.failEnv.Load(); id != nil {
		for _, op := range ops {
			if strings.HasPrefix(op.Key, "env/"+*id+"/usage/") {
				return errors.New("injected failure")
			}
		}
	}
	return f.Backend.Transaction(ctx, ops)
}

// One environment's usage that cannot be written holds back no other's,
// and is kept, not dropped, until it can be written.
func TestUsageIsolatedPerEnvironment(t *testing.T) {
	ctx := context.Background()
	st := &usageFailStore{Backend: memory.New()}
	v, _ := openTestVault(t, Config{Storage: st})
	prod, _ := v.CreateEnv(ctx, "prod")
	dev, _ := v.CreateEnv(ctx, "dev")
	st.failEnv.Store(&dev.ID)
	v.RecordRead(dev, "app/key", "token-dev", 2)
	v.RecordRead(prod, "app/key", "token-prod", 5)
	if u, err := v.SecretUsage(ctx, prod, "app/key"); err != nil || u.LastReader != "token-prod" {
		t.Fatalf("prod's usage while dev's cannot be written: %+v, %v", u, err)
	}
	if _, err := v.SecretUsage(ctx, dev, "app/key"); err == nil {
		t.Fatal("dev's usage: no error while its records cannot be written")
	}
	if err := v.FlushUsage(ctx); err == nil {
		t.Fatal("FlushUsage: no error while dev's records cannot be written")
	}
	st.failEnv.Store(nil)
	u, err := v.SecretUsage(ctx, dev, "app/key")
	if err != nil || u.LastReader != "token-dev" || u.Readers["token-dev"].Version != 2 {
		t.Fatalf("dev's read was dropped after failed writes: %+v, %v", u, err)
	}
}

// Reads and flushes racing an environment's deletion: no flush fails (a
// flush under way finishes before the key goes; one after it skips the
// environment), and the other environment's reads all arrive.
func TestDeleteEnvWhileReading(t *testing.T) {
	ctx := context.Background()
	v, _ := newTestVault(t)
	prod, _ := v.CreateEnv(ctx, "prod")
	doomed, _ := v.CreateEnv(ctx, "doomed")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			v.RecordRead(doomed, "app/key", "token-doomed", i)
			v.RecordRead(prod, "app/key", "token-prod", i)
			if i%20 == 0 {
				if err := v.FlushUsage(ctx); err != nil {
					t.Errorf("FlushUsage during the deletion: %v", err)
				}
			}
		}
	}()
	if err := v.DeleteEnv(ctx, "doomed"); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := v.FlushUsage(ctx); err != nil {
		t.Fatalf("FlushUsage after the deletion: %v", err)
	}
	if u, err := v.SecretUsage(ctx, prod, "app/key"); err != nil || u.Readers["token-prod"].Version != 199 {
		t.Fatalf("prod's usage: %+v, %v", u, err)
	}
}
