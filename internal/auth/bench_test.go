package auth_test

import (
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
)

// BenchmarkLookup looks up one of 1000 tokens per call: from the cache, and
// with the cache off (a storage read and a JSON decode each time), on one
// goroutine and on GOMAXPROCS.
func BenchmarkLookup(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"cached", 0}, {"uncached", -1}} {
		f := setup(b, func(cfg *auth.Config) { cfg.CacheSize = c.size })
		secrets := make([]string, 1000)
		for i := range secrets {
			secrets[i], _ = f.create(f.root, auth.CreateRequest{
				Policies: []string{"deploy", "read"}, Env: "prod", EnvID: "env-1", TTL: time.Hour,
				Meta: map[string]string{"job": "1234", "repo": "wardhq/ward"},
			})
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := f.store.Lookup(f.ctx, secrets[i%len(secrets)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := f.store.Lookup(f.ctx, secrets[i%len(secrets)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

// BenchmarkCreate measures a login's worth of work on the memory backend.
func BenchmarkCreate(b *testing.B) {
	f := setup(b, nil)
	req := auth.CreateRequest{Policies: []string{"deploy"}, Env: "prod", EnvID: "env-1", TTL: time.Hour}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.store.Create(f.ctx, f.root, req); err != nil {
			b.Fatal(err)
		}
	}
}
