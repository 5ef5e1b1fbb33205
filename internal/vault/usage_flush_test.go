package vault

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

// countingStore counts the writes that reach storage under a prefix, and
// refuses every write of one key.
type countingStore struct {
	storage.Backend
	prefix      string
	puts, txns  atomic.Int64
	refuseWrite string
}

func (s *countingStore) Put(ctx context.Context, e *storage.Entry) error {
	if strings.HasPrefix(e.Key, s.prefix) {
		s.puts.Add(1)
	}
	if s.refuseWrite != "" && strings.HasSuffix(e.Key, s.refuseWrite) {
		return fmt.Errorf("refused")
	}
	return s.Backend.Put(ctx, e)
}

func (s *countingStore) Transaction(ctx context.Context, ops []storage.Op) error {
	for _, op := range ops {
		if strings.HasPrefix(op.Key, s.prefix) {
			s.txns.Add(1)
			break
		}
	}
	for _, op := range ops {
		if s.refuseWrite != "" && strings.HasSuffix(op.Key, s.refuseWrite) {
			return fmt.Errorf("refused")
		}
	}
	return s.Backend.Transaction(ctx, ops)
}

// A flush writes its records in one transaction per usageFlushChunk, not
// one write each; a record that cannot be written holds back no other and
// stays pending.
func TestFlushUsageBatches(t *testing.T) {
	ctx := context.Background()
	st := &countingStore{Backend: memory.New()}
	v, _ := openTestVault(t, Config{Storage: st})
	env, err := v.CreateEnv(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	st.prefix = envUsagePrefix(env.ID)
	st.puts.Store(0)
	st.txns.Store(0)
	const n = usageFlushChunk + 10
	for i := range n {
		v.RecordRead(env, fmt.Sprintf("svc/s%d", i), "ci", 1)
	}
	if err := v.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if puts, txns := st.puts.Load(), st.txns.Load(); puts != 0 || txns != 2 {
		t.Errorf("flushing %d records: %d puts and %d transactions; want 0 and 2", n, puts, txns)
	}
	for _, p := range []string{"svc/s0", fmt.Sprintf("svc/s%d", n-1)} {
		if u, err := v.SecretUsage(ctx, env, p); err != nil || u.Readers["ci"].Version != 1 {
			t.Errorf("usage of %s after the flush: %+v, %v", p, u, err)
		}
	}

	st.refuseWrite = "svc/bad"
	v.RecordRead(env, "svc/bad", "ci", 2)
	v.RecordRead(env, "svc/good", "ci", 2)
	if err := v.FlushUsage(ctx); err == nil {
		t.Fatal("a flush with a record storage refuses: no error")
	}
	st.refuseWrite = ""
	if u, err := v.SecretUsage(ctx, env, "svc/good"); err != nil || u.Readers["ci"].Version != 2 {
		t.Errorf("a record beside one that failed: %+v, %v", u, err)
	}
	if u, err := v.SecretUsage(ctx, env, "svc/bad"); err != nil || u.Readers["ci"].Version != 2 {
		t.Errorf("the record that failed is not pending any more: %+v, %v", u, err)
	}
}
