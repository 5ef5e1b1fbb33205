package failwindow

import (
	"testing"
	"time"
)

func TestLive(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := []time.Time{t0, t0.Add(time.Minute), t0.Add(2 * time.Minute)}
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{
		{0, 3},
		{10*time.Minute - time.Nanosecond, 3},
		{10 * time.Minute, 2}, // the oldest leaves the window at exactly its age
		{11*time.Minute + time.Second, 1},
		{12 * time.Minute, 0},
	} {
		got := Live(f, t0.Add(tc.at), 10*time.Minute)
		if len(got) != tc.want {
			t.Errorf("at +%v: %d live, want %d", tc.at, len(got), tc.want)
		}
		if tc.want == 0 && got != nil {
			t.Errorf("at +%v: none live must be nil", tc.at)
		}
		if tc.want > 0 && !got[len(got)-1].Equal(f[2]) {
			t.Errorf("at +%v: the live failures are not the newest", tc.at)
		}
	}
}
