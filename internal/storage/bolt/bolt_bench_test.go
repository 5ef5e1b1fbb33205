package bolt_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
)

// benchValue is about the size of a sealed secret with its metadata.
var benchValue = make([]byte, 256)

// reportOps adds ops/s.
func reportOps(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// reportWrites adds ops/s and how many write calls shared one commit.
func reportWrites(b *testing.B, db *bolt.DB) {
	reportOps(b)
	s := db.Stats()
	b.ReportMetric(float64(s.Writes)/float64(s.Commits), "writes/commit")
}

// parallel runs write from the given number of goroutines, each call with a
// fresh sequence number, until b.N calls are done.
func parallel(b *testing.B, writers int, write func(seq int64) error) {
	var seq atomic.Int64
	if writers == 1 {
		for b.Loop() {
			if err := write(seq.Add(1)); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	// RunParallel starts parallelism × GOMAXPROCS goroutines.
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((writers + procs - 1) / procs)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := write(seq.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// benchWriters runs write with 1 and with 16 concurrent writers, each on a
// new data file.
func benchWriters(b *testing.B, write func(ctx context.Context, db *bolt.DB, seq int64) error) {
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			db := openTemp(b, bolt.Options{})
			defer db.Close()
			ctx := context.Background()
			parallel(b, writers, func(seq int64) error { return write(ctx, db, seq) })
			reportWrites(b, db)
		})
	}
}

func BenchmarkPut(b *testing.B) {
	benchWriters(b, func(ctx context.Context, db *bolt.DB, seq int64) error {
		return db.Put(ctx, &storage.Entry{Key: fmt.Sprintf("bench/%08d", seq), Value: benchValue})
	})
}

func BenchmarkTransaction2Keys(b *testing.B) {
	benchWriters(b, func(ctx context.Context, db *bolt.DB, seq int64) error {
		return db.Transaction(ctx, []storage.Op{
			{Kind: storage.OpPut, Key: fmt.Sprintf("bench/%08d/data", seq), Value: benchValue},
			{Kind: storage.OpPut, Key: fmt.Sprintf("bench/%08d/meta", seq), Value: benchValue[:64]},
		})
	})
}

// fill writes n keys bench/<i> in transactions of 1000.
func fill(b *testing.B, db *bolt.DB, n int) {
	b.Helper()
	for start := 0; start < n; start += 1000 {
		var ops []storage.Op
		for i := start; i < min(start+1000, n); i++ {
			ops = append(ops, storage.Op{Kind: storage.OpPut, Key: fmt.Sprintf("bench/%08d", i), Value: benchValue})
		}
		if err := db.Transaction(context.Background(), ops); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	const keys = 100_000
	db := openTemp(b, bolt.Options{})
	defer db.Close()
	fill(b, db, keys)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i = (i + 7919) % keys
			if _, err := db.Get(ctx, fmt.Sprintf("bench/%08d", i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportOps(b)
}

// BenchmarkList lists "env/", 100 folders holding 1,000 keys each, and
// "env/000/", one folder's 1,000 keys. The first costs one seek per folder,
// so it is faster than the second although 100 times more keys lie below it.
func BenchmarkList(b *testing.B) {
	db := openTemp(b, bolt.Options{})
	defer db.Close()
	ctx := context.Background()
	for f := range 100 {
		var ops []storage.Op
		for k := range 1000 {
			ops = append(ops, storage.Op{Kind: storage.OpPut, Key: fmt.Sprintf("env/%03d/%04d", f, k), Value: benchValue[:16]})
		}
		if err := db.Transaction(ctx, ops); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, prefix string
		want         int
	}{
		{"folders=100,keys-below=100000", "env/", 100},
		{"keys=1000", "env/000/", 1000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				names, err := db.List(ctx, tc.prefix)
				if err != nil || len(names) != tc.want {
					b.Fatalf("List = %d names, %v", len(names), err)
				}
			}
			reportOps(b)
		})
	}
}
