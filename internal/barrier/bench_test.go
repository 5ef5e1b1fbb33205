package barrier

import (
	"fmt"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

// benchValue is the size of a typical secret: a small JSON object.
var benchValue = make([]byte, 256)

// benchStores returns the raw memory driver and the barrier over it, with
// the keys the benchmarks read already written.
func benchStores(b *testing.B) map[string]storage.Backend {
	f := newFixture(b, 0)
	br := f.open(b)
	if err := br.CreateEnvKey(ctx, "prod"); err != nil {
		b.Fatal(err)
	}
	mem := memory.New()
	for _, s := range []storage.Backend{br, mem} {
		for _, key := range []string{"sys/k", "env/prod/v/payments/db/0000000001"} {
			if err := s.Put(ctx, &storage.Entry{Key: key, Value: benchValue}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return map[string]storage.Backend{"memory": mem, "barrier": br}
}

var benchKeys = map[string]string{"system": "sys/k", "env": "env/prod/v/payments/db/0000000001"}

// BenchmarkGet and BenchmarkPut compare the memory driver alone with the
// barrier over it; the difference is the barrier's cost per call.
func BenchmarkGet(b *testing.B) {
	stores := benchStores(b)
	for _, store := range []string{"memory", "barrier"} {
		for _, scope := range []string{"system", "env"} {
			b.Run(fmt.Sprintf("%s/%s", store, scope), func(b *testing.B) {
				s, key := stores[store], benchKeys[scope]
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Get(ctx, key); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkPut(b *testing.B) {
	stores := benchStores(b)
	for _, store := range []string{"memory", "barrier"} {
		for _, scope := range []string{"system", "env"} {
			b.Run(fmt.Sprintf("%s/%s", store, scope), func(b *testing.B) {
				s, key := stores[store], benchKeys[scope]
				e := &storage.Entry{Key: key, Value: benchValue}
				b.ReportAllocs()
				for b.Loop() {
					if err := s.Put(ctx, e); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkGetParallel reads one environment's value from every core.
func BenchmarkGetParallel(b *testing.B) {
	stores := benchStores(b)
	for _, store := range []string{"memory", "barrier"} {
		b.Run(store, func(b *testing.B) {
			s := stores[store]
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Get(ctx, benchKeys["env"]); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
