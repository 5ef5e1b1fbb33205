package audit

import "time"

// Written is one line of a batch the log wrote, as Config.OnEntries sees
// it: the entry, with what the log wrote of it that the entry does not
// hold. It lets a watcher read the facts of each line without parsing the
// line again. Like the lines of OnWrite, it is valid only during the call:
// the Entry is the writer's, and Token and Accessor are the log's buffers.
type Written struct {
	// Entry is the entry written, as its writer made it (its Data and
	// Token raw): a watcher reads it during the call and keeps nothing of
	// it but public fields. nil for a checkpoint line.
	Entry *Entry
	// Time is the time the line holds, in UTC: Entry.Time, or the time
	// Write stamped on it.
	Time time.Time
	// Token and Accessor are the HMACs the line holds for Entry.Token and
	// Entry.Accessor ("hmac-sha256:<hex>"), nil when it holds none.
	Token, Accessor []byte
}

// written describes e as encode just wrote it with s.
func written(e *Entry, now time.Time, s *sums) Written {
	w := Written{Entry: e, Time: e.Time}
	if w.Time.IsZero() {
		w.Time = now
	}
	w.Time = w.Time.UTC()
	if e.Token != "" {
		w.Token = unquote(s.token.quoted)
	}
	if e.Accessor != "" {
		w.Accessor = unquote(s.accessor.quoted)
	}
	return w
}

// unquote is a JSON string's bytes without its quotes, for one that holds
// no escapes.
func unquote(q []byte) []byte { return q[1 : len(q)-1 : len(q)-1] }

// observe hands a written batch to the log's watchers: OnBatch gets how
// long the write took and its error (nil, or the *WriteError the writers
// get); after a batch that was written, OnWrite gets its lines, each ending
// in "\n", and OnEntries one Written per line, in the same order. The
// lines and the Written are the log's own buffers, valid only during the
// call: a watcher that keeps them copies what it keeps. They run before
// the batch's writers are answered, so they must return at once (queue,
// count, never wait): the detectors' feed, detect.Service.OfferEntries,
// is one.
func (l *Log) observe(batch []*pending, began time.Time, err error) {
	if l.cfg.OnBatch != nil {
		l.cfg.OnBatch(time.Since(began), err)
	}
	if err != nil || len(l.buf) == 0 {
		return
	}
	if l.cfg.OnWrite != nil {
		l.cfg.OnWrite(l.buf)
	}
	if l.cfg.OnEntries != nil {
		seen := l.seen[:0]
		for _, p := range batch {
			switch {
			case p.checkpoint != "" && p.line != nil:
				seen = append(seen, Written{})
			case p.checkpoint == "" && !p.reopen:
				seen = append(seen, p.written...)
			}
		}
		l.cfg.OnEntries(seen)
		clear(seen) // keep no writer's entry alive
		l.seen = seen[:0]
	}
}
