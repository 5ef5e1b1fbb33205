package lease_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/wardhq/ward/internal/lease"
)

// BenchmarkIssue issues leases (through the barrier, over memory storage)
// with 10,000 others live, and reports the heap those 10,000 hold.
func BenchmarkIssue(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f := newFixture(b, func(c *lease.Config) { c.MaxPerToken, c.MaxPerIdentity = -1, -1 })
	for i := range 10000 {
		f.issue(req(staging, "app", fmt.Sprintf("tok%d", i%500)))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ResetTimer()
	for i := range b.N {
		f.issue(req(staging, "app", fmt.Sprintf("tok%d", i%500)))
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/10000, "heap-B/live-lease")
}

// BenchmarkTickIdle is the scheduler's cost when nothing is due, with
// 10,000 live leases.
func BenchmarkTickIdle(b *testing.B) {
	f := newFixture(b, func(c *lease.Config) { c.MaxPerToken, c.MaxPerIdentity = -1, -1 })
	for i := range 10000 {
		f.issue(req(staging, "app", fmt.Sprintf("tok%d", i%500)))
	}
	b.ResetTimer()
	for range b.N {
		f.tick()
	}
}
