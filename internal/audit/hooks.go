package audit

import "time"

// observe hands a written batch to the log's watchers: OnBatch gets how
// long the write took and its error (nil, or the *WriteError the writers
// get), and OnWrite, after a batch that was written, gets its lines, each
// ending in "\n". The lines are the log's own buffer, valid only during
// the call: a watcher that keeps them copies them. Both run before the
// batch's writers are answered, so they must return at once (queue, count,
// never wait): the detectors' feed, detect.Service.Offer, is one.
func (l *Log) observe(began time.Time, err error) {
	if l.cfg.OnBatch != nil {
		l.cfg.OnBatch(time.Since(began), err)
	}
	if err == nil && l.cfg.OnWrite != nil && len(l.buf) > 0 {
		l.cfg.OnWrite(l.buf)
	}
}
