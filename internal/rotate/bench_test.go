package rotate_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/rotate"
)

// BenchmarkTick10k: one scheduler tick with 10,000 secrets due at once,
// over the in-memory store and target (the rotation logic alone).
func BenchmarkTick10k(b *testing.B) {
	for range b.N {
		b.StopTimer()
		f := newFixture(false)
		for i := range 10000 {
			path := fmt.Sprintf("s/%05d", i)
			v := map[string]any{"token": fmt.Sprintf("token-%016d", i)}
			f.store.Put("prod", path, rotate.Meta{Type: "api-token", RotateEvery: time.Hour}, v)
			f.target.Seed("prod", path, v)
		}
		s := rotate.NewScheduler(rotate.SchedulerConfig{Engines: []rotate.Engine{f.rotator(nil)}, Now: f.clock.Now})
		f.clock.Advance(time.Hour)
		b.StartTimer()
		rep, err := s.Tick(ctx)
		if err != nil || rep.Rotated != 10000 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}
