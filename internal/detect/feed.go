package detect

import (
	"github.com/wardhq/ward/internal/audit"
)

// OfferEntries offers a batch the audit log just wrote: it is an
// audit.Config.OnEntries, the live feed from inside the server. It reads
// of each response entry what ParseLine would read of its line (see
// EventOf), without the line, and queues the batch's events whole (one
// slot of the backlog). Like Offer it never blocks: when the backlog is
// full, the batch's lines are dropped and counted.
func (s *Service) OfferEntries(batch []audit.Written) {
	if len(batch) == 0 {
		return
	}
	if len(s.lines) == cap(s.lines) {
		s.dropped.Add(int64(len(batch)))
		return
	}
	n := 0
	for i := range batch {
		if isResponse(&batch[i]) {
			n++
		}
	}
	var evs []Event
	if n > 0 {
		evs = make([]Event, n)
		n = 0
		for i := range batch {
			if isResponse(&batch[i]) {
				EventOf(&batch[i], &evs[n])
				n++
			}
		}
	}
	select {
	case s.lines <- item{events: evs, lines: len(batch)}:
	default:
		s.dropped.Add(int64(len(batch)))
	}
}

func isResponse(w *audit.Written) bool { return w.Entry != nil && w.Entry.Type == "response" }

// EventOf sets e to what the detectors read of the response entry w,
// copying what it keeps: the facts ParseLine reads of the line the log
// wrote for it. Strings are taken as the entry holds them; Engine checks
// them as the line would have them (valid UTF-8, a time and status the
// line can hold) when it reads the event, off the writer's path.
func EventOf(w *audit.Written, e *Event) {
	en := w.Entry
	*e = Event{
		Time: w.Time, Identity: en.Identity, Environment: en.Environment,
		Path: en.Path, Operation: en.Operation, RemoteAddr: en.RemoteAddr,
		Status: en.Status, Error: en.Error,
	}
	if w.Token != nil {
		e.Token = string(w.Token)
	}
	if w.Accessor != nil {
		e.Accessor = string(w.Accessor)
	}
	if m := en.Meta; len(m) > 0 {
		e.Role, e.Repository, e.Ref = m["role"], m["ci_repository"], m["ci_ref"]
		e.Workflow, e.User = m["ci_workflow"], m["ward_identity"]
	}
}
