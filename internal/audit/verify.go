package audit

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Verify errors, found with errors.Is in a *ChainError.
var (
	// ErrBroken: a line is not the one the chain expects there: it was
	// changed, removed, reordered or inserted, or it is not an audit line.
	ErrBroken = errors.New("audit log chain is broken")
	// ErrTorn: the last line has no newline: a write was cut short by a
	// crash. Open drops such a tail when it opens the log again.
	ErrTorn = errors.New("audit log ends with an incomplete line")
)

// ChainError reports the first bad line of a log.
type ChainError struct {
	Line   int    // 1-based line number
	Reason string // what is wrong with it, in words; no entry content
	Err    error  // ErrBroken or ErrTorn
}

func (e *ChainError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }
func (e *ChainError) Unwrap() error { return e.Err }

// parseLine checks one line (without newline) on its own: its hash, that it
// is one JSON object, and that its chain members end it. It returns the
// line's seq, prev and hash, or a reason it is bad. It reads the chain
// members from their fixed place at the end rather than decoding the whole
// object, which makes Verify several times faster.
func parseLine(line []byte) (seq uint64, prev, hash, reason string) {
	const notEntry = "not a ward audit line: its hash matches but it does not end with seq and prev"
	hash, reason = lineHash(line)
	if reason != "" {
		return 0, "", "", reason
	}
	rest := line[:len(line)-hashSuffixLen] // {...,"seq":N,"prev":"<hex>"
	const prevKey = `,"prev":"`
	n := len(rest) - len(prevKey) - len(genesis) - 1
	if n < 0 || !bytes.Equal(rest[n:n+len(prevKey)], []byte(prevKey)) || rest[len(rest)-1] != '"' {
		return 0, "", "", notEntry
	}
	prev = string(rest[n+len(prevKey) : len(rest)-1])
	if _, err := hex.DecodeString(prev); err != nil {
		return 0, "", "", notEntry
	}
	rest = rest[:n]
	const seqKey = `,"seq":`
	i := bytes.LastIndex(rest, []byte(seqKey))
	if i < 0 {
		return 0, "", "", notEntry
	}
	digits := string(rest[i+len(seqKey):])
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || digits != strconv.FormatUint(seq, 10) {
		return 0, "", "", notEntry
	}
	if !json.Valid(line) {
		return 0, "", "", "not a ward audit line: its hash matches but it is not valid JSON"
	}
	return seq, prev, hash, ""
}

// follow says why a line with seq and prev cannot come after h, or "".
func follow(h head, seq uint64, prev string) string {
	switch {
	case h.seq == 0 && (seq != 1 || prev != genesis):
		return fmt.Sprintf("the log does not start a chain: it starts at entry %d, so the entries before it were removed, or the file continues a log that was moved aside", seq)
	case seq > h.seq+1:
		return fmt.Sprintf("expected entry %d, found entry %d: lines were removed or moved", h.seq+1, seq)
	case seq <= h.seq:
		return fmt.Sprintf("expected entry %d, found entry %d: lines were moved or repeated", h.seq+1, seq)
	case prev != h.hash:
		return "the line does not chain to the line before it: a line was replaced or inserted here"
	}
	return ""
}

// Verify reads an audit log to its end and checks its chain. It returns the
// number of entries read before the first bad line and, for that line, a
// *ChainError wrapping ErrBroken or ErrTorn; other errors are read errors.
// An empty log is intact.
func Verify(r io.Reader) (entries int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	h := head{hash: genesis}
	for n := 1; ; n++ {
		line, err := readLine(br)
		switch {
		case err == io.EOF && len(line) == 0:
			return n - 1, nil
		case err == io.EOF:
			return n - 1, &ChainError{Line: n, Reason: "the last line is incomplete: a write was cut short by a crash", Err: ErrTorn}
		case errors.Is(err, errLongLine):
			return n - 1, &ChainError{Line: n, Reason: fmt.Sprintf("not a ward audit line: longer than %d bytes", MaxLine), Err: ErrBroken}
		case err != nil:
			return n - 1, err
		}
		seq, prev, hash, reason := parseLine(line)
		if reason == "" {
			reason = follow(h, seq, prev)
		}
		if reason != "" {
			return n - 1, &ChainError{Line: n, Reason: reason, Err: ErrBroken}
		}
		h = head{seq: seq, hash: hash}
	}
}

var errLongLine = errors.New("line too long")

// readLine returns the next line without its newline, io.EOF with the bytes
// of a last line that has none, or errLongLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(long)+len(chunk) > MaxLine {
			return nil, errLongLine
		}
		switch {
		case err == bufio.ErrBufferFull:
			long = append(long, chunk...)
			continue
		case err == nil:
			chunk = chunk[:len(chunk)-1]
		}
		if long != nil {
			chunk = append(long, chunk...)
		}
		return chunk, err
	}
}
