package detect

import "bytes"

// OfferLines offers each line of a batch the audit log just wrote ("\n"
// ends each): it is an audit.Config.OnWrite, the live feed from inside
// the server. Like Offer it never blocks; lines that do not fit the
// backlog are dropped and counted.
func (s *Service) OfferLines(lines []byte) {
	for len(lines) > 0 {
		line, rest, _ := bytes.Cut(lines, []byte{'\n'})
		if len(line) > 0 {
			s.Offer(line)
		}
		lines = rest
	}
}
