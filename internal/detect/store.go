package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// ErrNoAlert is returned by Ack for an id the store does not hold.
var ErrNoAlert = errors.New("no such alert")

// Filter selects alerts for List. Its zero value selects all.
type Filter struct {
	Unacked  bool      // only alerts nobody acknowledged
	Detector string    // only this detector's
	Since    time.Time // only alerts raised at or after this
	Limit    int       // at most this many, newest first; 0: all
}

// Store keeps the latest alerts for `ward alerts list` and `ack`. It holds
// at most Max alerts: past that, the oldest acknowledged one goes first,
// then the oldest. It is safe for concurrent use.
type Store struct {
	max int
	now func() time.Time

	mu     sync.Mutex
	alerts []*Alert // guarded by mu: oldest first
	byID   map[string]*Alert
}

// NewStore returns an empty store of at most max alerts (default 10000);
// now stamps acknowledgements (nil: time.Now).
func NewStore(max int, now func() time.Time) *Store {
	if max <= 0 {
		max = 10000
	}
	if now == nil {
		now = time.Now
	}
	return &Store{max: max, now: now, byID: map[string]*Alert{}}
}

// Add keeps a copy of a. An alert with an id already held is ignored.
func (s *Store) Add(a Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(&a)
}

func (s *Store) addLocked(a *Alert) {
	if _, ok := s.byID[a.ID]; ok {
		return
	}
	s.alerts = append(s.alerts, a)
	s.byID[a.ID] = a
	if len(s.alerts) <= s.max {
		return
	}
	i := slices.IndexFunc(s.alerts, func(a *Alert) bool { return a.AckedBy != "" })
	if i < 0 {
		i = 0
	}
	delete(s.byID, s.alerts[i].ID)
	s.alerts = slices.Delete(s.alerts, i, i+1)
}

// List returns the alerts f selects, newest first.
func (s *Store) List(f Filter) []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Alert{}
	for i := len(s.alerts) - 1; i >= 0; i-- {
		a := s.alerts[i]
		switch {
		case f.Unacked && a.AckedBy != "",
			f.Detector != "" && a.Detector != f.Detector,
			!f.Since.IsZero() && a.Time.Before(f.Since):
			continue
		}
		out = append(out, *a)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out
}

// Ack marks the alert id as acknowledged by who and returns it. Acking an
// alert again keeps the first acknowledgement.
func (s *Store) Ack(id, who string) (Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	if !ok {
		return Alert{}, fmt.Errorf("%w: %q; list them with 'ward alerts list'", ErrNoAlert, id)
	}
	if a.AckedBy == "" {
		a.AckedBy, a.AckedAt = who, s.now().UTC()
	}
	return *a, nil
}

// Snapshot writes every alert held, oldest first, as JSON.
func (s *Store) Snapshot(w io.Writer) error {
	s.mu.Lock()
	b, err := json.Marshal(s.alerts)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Restore replaces the store's alerts with a snapshot's.
func (s *Store) Restore(r io.Reader) error {
	var alerts []*Alert
	if err := json.NewDecoder(r).Decode(&alerts); err != nil {
		return fmt.Errorf("%w: alerts: %v", ErrSnapshot, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts, s.byID = nil, map[string]*Alert{}
	for _, a := range alerts {
		if a != nil && a.ID != "" {
			s.addLocked(a)
		}
	}
	return nil
}
