package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWrite measures Write with 1 and 16 concurrent writers, each
// writing a typical request entry, and reports entries/s. Run:
//
//	go test -run='^$' -bench=Write -count=5 ./internal/audit
func BenchmarkWrite(b *testing.B) {
	for _, sync := range []bool{false, true} {
		for _, writers := range []int{1, 16} {
			b.Run(fmt.Sprintf("sync=%v/writers=%d", sync, writers), func(b *testing.B) {
				benchWrite(b, writers, sync)
			})
		}
	}
}

func benchWrite(b *testing.B, writers int, sync_ bool) {
	cfg := testConfig(b)
	cfg.Now, cfg.Sync = nil, sync_
	l := openTest(b, cfg)
	e := entry(0)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += writers {
				if err := l.Write(context.Background(), e); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/entry")
	b.ReportMetric(float64(b.N)/float64(l.batches.Load()), "entries/batch")
}

// cpuTime is the process's user and system CPU time so far: on a shared,
// loaded machine, CPU per entry varies less than entries per second.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVerify measures Verify on a log of 10,000 typical entries.
func BenchmarkVerify(b *testing.B) {
	cfg := testConfig(b)
	l := openTest(b, cfg)
	writeN(b, l, 0, 10000)
	log, err := os.ReadFile(cfg.Path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		if n, err := Verify(bytes.NewReader(log)); n != 10000 || err != nil {
			b.Fatal(n, err)
		}
	}
}
