package secrets

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/wardhq/ward/internal/storage/memory"
)

// A typical secret: a few fields, about 200 bytes.
var benchValue = json.RawMessage(`{"host":"db.internal.example.com","port":5432,"user":"payments","password":"c2VjcmV0LXBhc3N3b3JkLXRoYXQtaXMtbG9uZw==","sslmode":"verify-full","pool":{"max":20,"idle":5}}`)

// BenchmarkGet reads the current version of a secret with the default 10
// versions kept.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	kv := New(Config{Storage: memory.New()})
	for range 12 {
		if _, err := kv.Put(ctx, "payments/db", benchValue, PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kv.Get(ctx, "payments/db", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut writes a new version of one secret, trimming the oldest at
// every write once 10 are kept.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	kv := New(Config{Storage: memory.New()})
	b.ReportAllocs()
	b.SetBytes(int64(len(benchValue)))
	for b.Loop() {
		if _, err := kv.Put(ctx, "payments/db", benchValue, PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutParallel writes to 64 paths from all cores, showing that the
// striped lock lets different paths proceed together.
func BenchmarkPutParallel(b *testing.B) {
	ctx := context.Background()
	kv := New(Config{Storage: memory.New()})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, err := kv.Put(ctx, "svc/"+strconv.Itoa(i%64), benchValue, PutOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkCheckValue(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchValue)))
	for b.Loop() {
		if err := CheckValue(benchValue, 0); err != nil {
			b.Fatal(err)
		}
	}
}
