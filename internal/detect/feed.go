package detect

import (
	"sync"

	"github.com/wardhq/ward/internal/audit"
)

// feed is the live hand-off from the audit log to the service's goroutine.
// OfferEntries appends the events of each written batch to a buffer under
// mu, and wakes the goroutine only when the buffer was empty; the goroutine
// takes the whole buffer at once and gives back the one it is done with.
// So a read costs its writer one Event filled in place, with no allocation
// once the buffers have grown, and a burst of batches one wake-up.
type feed struct {
	mu     sync.Mutex
	events []Event // guarded by mu: waiting for the goroutine
	lines  int     // guarded by mu: the lines the events came from
	max    int     // events the buffer may hold; a batch past it is dropped
	// hmacs is guarded by mu: token and accessor HMACs lately handed
	// over, so that the requests of one token share one string rather
	// than each allocating its own.
	hmacs [256]string
	wake  chan struct{} // holds one wake-up while the buffer is not empty
}

// maxSpare is the capacity past which a drained buffer is let go rather
// than kept: a burst does not hold its memory for good.
const maxSpare = 4096

// OfferEntries offers a batch the audit log just wrote: it is an
// audit.Config.OnEntries, the live feed from inside the server. It reads
// of each response entry what ParseLine would read of its line, without
// the line, and never blocks: when the backlog (ServiceConfig.Backlog
// events) would overflow, the batch's lines are dropped and counted.
func (s *Service) OfferEntries(batch []audit.Written) {
	if len(batch) == 0 {
		return
	}
	n := 0
	for i := range batch {
		if isResponse(&batch[i]) {
			n++
		}
	}
	f := &s.feed
	f.mu.Lock()
	if len(f.events)+n > f.max {
		f.mu.Unlock()
		s.dropped.Add(int64(len(batch)))
		return
	}
	wake := f.lines == 0
	for i := range batch {
		if w := &batch[i]; isResponse(w) {
			f.events = append(f.events, Event{})
			e := &f.events[len(f.events)-1]
			eventOf(w, e)
			e.Token, e.Accessor = f.intern(w.Token), f.intern(w.Accessor)
		}
	}
	f.lines += len(batch)
	f.mu.Unlock()
	if wake {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// intern returns string(b), the string it returned last time for the
// same bytes if its slot still holds it. Called with f.mu held.
func (f *feed) intern(b []byte) string {
	if len(b) < 2 {
		return string(b)
	}
	// HMACs end in hex digits spread evenly: their last two bytes pick
	// the slot.
	slot := &f.hmacs[(int(b[len(b)-2])<<4^int(b[len(b)-1]))&(len(f.hmacs)-1)]
	if *slot != string(b) {
		*slot = string(b)
	}
	return *slot
}

// drain runs the detectors over every event the feed holds, and returns
// the buffer it holds them in, emptied, for the next drain to swap in.
func (s *Service) drain(spare []Event) []Event {
	f := &s.feed
	f.mu.Lock()
	evs, lines := f.events, f.lines
	f.events, f.lines = spare, 0
	f.mu.Unlock()
	if lines == 0 {
		return evs
	}
	s.eng.observeBatch(evs, lines)
	if cap(evs) > maxSpare {
		return nil
	}
	clear(evs) // keep no entry's strings alive
	return evs[:0]
}

func isResponse(w *audit.Written) bool { return w.Entry != nil && w.Entry.Type == "response" }

// eventOf sets e to what the detectors read of the response entry w, but
// for its token and accessor (w.Token, w.Accessor: the caller makes them
// strings): the facts ParseLine reads of the line the log wrote for it.
// Strings are taken as the entry holds them; Engine checks them as the
// line would have them (valid UTF-8, a time and status the line can hold)
// when it reads the event, off the writer's path.
func eventOf(w *audit.Written, e *Event) {
	en := w.Entry
	*e = Event{
		Time: w.Time, Identity: en.Identity, Environment: en.Environment,
		Path: en.Path, Operation: en.Operation, RemoteAddr: en.RemoteAddr,
		Status: en.Status, Error: en.Error,
	}
	if m := en.Meta; len(m) > 0 {
		e.Role, e.Repository, e.Ref = m["role"], m["ci_repository"], m["ci_ref"]
		e.Workflow, e.User = m["ci_workflow"], m["ward_identity"]
	}
}
