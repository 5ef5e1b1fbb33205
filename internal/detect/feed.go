package detect

import "bytes"

// OfferLines offers a batch of lines the audit log just wrote ("\n" ends
// each): it is an audit.Config.OnWrite, the live feed from inside the
// server. Like Offer it never blocks, and copies what it keeps; the batch
// is queued whole (one copy, one slot of the backlog), and when the
// backlog is full all its lines are dropped and counted.
func (s *Service) OfferLines(lines []byte) {
	if len(lines) == 0 {
		return
	}
	select {
	case s.lines <- item{line: bytes.Clone(lines), batch: true}:
	default:
		s.dropped.Add(int64(bytes.Count(lines, []byte{'\n'}) + 1 - boolInt(lines[len(lines)-1] == '\n')))
	}
}

// eachLine calls f with each non-empty line of lines.
func eachLine(lines []byte, f func([]byte)) {
	for len(lines) > 0 {
		line, rest, _ := bytes.Cut(lines, []byte{'\n'})
		if len(line) > 0 {
			f(line)
		}
		lines = rest
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
