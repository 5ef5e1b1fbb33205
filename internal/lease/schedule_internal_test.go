package lease

import (
	"testing"
	"time"
)

// A Manager whose Run is not running (it does not lead the expiry) keeps
// its queue bounded however often its leases are renewed or followed, and
// still knows when each is due.
func TestScheduleStaysBounded(t *testing.T) {
	m := New(Config{})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, id := range []string{"staging/db/a", "staging/db/b", "staging/db/c"} {
		m.leases[id] = &entry{l: &Lease{ID: id, ExpiresAt: t0.Add(time.Duration(i) * time.Hour)}, state: live}
	}
	for i := range 10000 {
		id := []string{"staging/db/a", "staging/db/b", "staging/db/c"}[i%3]
		e := m.leases[id]
		e.l.ExpiresAt = e.l.ExpiresAt.Add(time.Second)
		m.scheduleLocked(e.l.ExpiresAt, id)
	}
	if n := len(m.due); n > 2*len(m.leases)+64 {
		t.Fatalf("queue holds %d items for %d leases", n, len(m.leases))
	}
	// Every lease is still queued at its current expiry.
	for id, e := range m.leases {
		found := false
		for _, it := range m.due {
			found = found || it.id == id && it.when.Equal(e.l.ExpiresAt)
		}
		if !found {
			t.Errorf("lease %s is not queued at its expiry %v", id, e.l.ExpiresAt)
		}
	}
}
