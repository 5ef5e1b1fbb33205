package postgres_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/postgres"
)

// BenchmarkPut measures Put with 1 and 16 concurrent writers, and how many
// calls shared one commit (the group commit at work).
func BenchmarkPut(b *testing.B) {
	value := make([]byte, 256)
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			db, _ := open(b, postgres.Options{})
			var seq atomic.Int64
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((writers + procs - 1) / procs)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := fmt.Sprintf("k/%d", seq.Add(1)%1000)
					if err := db.Put(ctx, &storage.Entry{Key: key, Value: value}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			s := db.Stats()
			b.ReportMetric(float64(s.Writes)/float64(s.Commits), "writes/commit")
		})
	}
}

// BenchmarkGet measures Get of one of 1,000 keys from 16 goroutines.
func BenchmarkGet(b *testing.B) {
	db, _ := open(b, postgres.Options{})
	var ops []storage.Op
	for i := range 1000 {
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: fmt.Sprintf("k/%d", i), Value: make([]byte, 256)})
	}
	if err := db.Transaction(ctx, ops); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.Get(ctx, fmt.Sprintf("k/%d", seq.Add(1)%1000)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
