package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
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

// Verify reads an audit log to its end and checks its chain and its
// checkpoints, trusting the key of the first checkpoint (VerifyLog can pin
// the key). It returns the number of entries read before the first bad line
// and, for that line, a *ChainError wrapping ErrBroken, ErrTorn,
// ErrBadCheckpoint or ErrRebuilt; other errors are read errors. An empty
// log is intact.
func Verify(r io.Reader) (entries int, err error) {
	rep, err := VerifyLog(r, VerifyOptions{})
	return rep.Entries, err
}

// VerifyOptions are what VerifyLog trusts besides the file.
type VerifyOptions struct {
	// Key is the vault's checkpoint key (sys/ward/audit key, or the server's
	// log at unseal). nil: the key of the first shipped checkpoint, else of
	// the first checkpoint in the file, which a rebuilt file could forge.
	Key ed25519.PublicKey
	// Shipped are checkpoints kept elsewhere (ReadCheckpoints): each must
	// sign an entry the file has, with the hash the file has.
	Shipped []Checkpoint
}

// Report is what VerifyLog found.
type Report struct {
	Entries        int    // lines read before the first bad one
	Checkpoints    int    // checkpoints whose signature and head verified
	LastCheckpoint int    // the line of the last of them; 0: none
	Unsigned       int    // entries after it, which no signature covers
	Sealed         bool   // the log ends with a seal checkpoint
	Key            string // KeyString of the key checked against; "" if none
	KeyPinned      bool   // that key came from VerifyOptions, not the file
	Shipped        int    // shipped checkpoints matched in the file
}

// VerifyLog is Verify with options, and a report of the checkpoints. On a
// *ChainError the report covers the lines before the bad one.
func VerifyLog(r io.Reader, opts VerifyOptions) (*Report, error) {
	rep := &Report{}
	key := opts.Key
	rep.KeyPinned = key != nil
	if key == nil && len(opts.Shipped) > 0 {
		k, err := ParseKey(opts.Shipped[0].Key)
		if err != nil {
			return rep, fmt.Errorf("a checkpoint kept elsewhere: %v: %w", err, ErrBadCheckpoint)
		}
		key, rep.KeyPinned = k, true
	}
	wanted := map[uint64]*Checkpoint{}
	for i := range opts.Shipped {
		cp := &opts.Shipped[i]
		if cp.Key != KeyString(key) || !cp.verifySig(key) {
			return rep, fmt.Errorf("the checkpoint kept elsewhere that signs entry %d does not verify with key %s: %w", cp.Seq, KeyString(key), ErrBadCheckpoint)
		}
		wanted[cp.Seq] = cp
	}
	if key != nil {
		rep.Key = KeyString(key)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	h := head{hash: genesis}
	var lastCheckpointSeq uint64
	var bad *ChainError
	for n := 1; bad == nil; n++ {
		line, err := readLine(br)
		switch {
		case err == io.EOF && len(line) == 0:
			rep.Entries = n - 1
			return rep, checkShippedEnd(wanted, h, n)
		case err == io.EOF:
			bad = &ChainError{Line: n, Reason: "the last line is incomplete: a write was cut short by a crash", Err: ErrTorn}
			continue
		case errors.Is(err, errLongLine):
			bad = &ChainError{Line: n, Reason: fmt.Sprintf("not a ward audit line: longer than %d bytes", MaxLine), Err: ErrBroken}
			continue
		case err != nil:
			rep.Entries = n - 1
			return rep, err
		}
		seq, prev, hash, reason := parseLine(line)
		if reason == "" {
			reason = follow(h, seq, prev)
		}
		if reason != "" {
			bad = &ChainError{Line: n, Reason: reason, Err: ErrBroken}
			continue
		}
		if isCheckpoint(line) {
			if bad = checkCheckpoint(line, n, h, &key, rep); bad != nil {
				continue
			}
			lastCheckpointSeq = seq
			rep.Checkpoints, rep.LastCheckpoint = rep.Checkpoints+1, n
		}
		if cp := wanted[seq]; cp != nil {
			if cp.Head != hash {
				bad = &ChainError{Line: n, Reason: fmt.Sprintf("a checkpoint kept elsewhere (%s) signs entry %d with another hash: this line and the chain after it were rewritten", cp.Time, seq), Err: ErrRebuilt}
				continue
			}
			rep.Shipped++
		}
		h = head{seq: seq, hash: hash}
		rep.Entries = n
		rep.Unsigned = int(seq - lastCheckpointSeq)
		rep.Sealed = isCheckpoint(line) && bytes.Contains(line, []byte(`"reason":"seal"`))
	}
	return rep, bad
}

// checkCheckpoint checks the checkpoint line n, which follows head h: its
// signature under *key (adopting its key if *key is nil), and that it signs
// h.
func checkCheckpoint(line []byte, n int, h head, key *ed25519.PublicKey, rep *Report) *ChainError {
	cp, reason := parseCheckpoint(line)
	if reason != "" {
		return &ChainError{Line: n, Reason: reason, Err: ErrBadCheckpoint}
	}
	if *key == nil {
		k, err := ParseKey(cp.Key)
		if err != nil {
			return &ChainError{Line: n, Reason: "a checkpoint with an unreadable key", Err: ErrBadCheckpoint}
		}
		*key, rep.Key = k, cp.Key
	}
	switch {
	case cp.Key != KeyString(*key):
		return &ChainError{Line: n, Reason: fmt.Sprintf("a checkpoint signed by another key (%s) than the vault's (%s): it was forged", cp.Key, KeyString(*key)), Err: ErrBadCheckpoint}
	case !cp.verifySig(*key):
		return &ChainError{Line: n, Reason: "a checkpoint whose signature does not verify: it was forged or altered", Err: ErrBadCheckpoint}
	case cp.Seq != h.seq || cp.Head != h.hash:
		return &ChainError{Line: n, Reason: fmt.Sprintf("the checkpoint signed entry %d with hash %.16s…, but the chain has entry %d with hash %.16s… here: lines before it were changed and the chain recomputed", cp.Seq, cp.Head, h.seq, h.hash), Err: ErrRebuilt}
	}
	return nil
}

// checkShippedEnd reports ErrTruncated if a shipped checkpoint was written
// past h, the log's last entry: the checkpoint is itself entry Seq+1.
func checkShippedEnd(wanted map[uint64]*Checkpoint, h head, n int) error {
	var last *Checkpoint
	for seq, cp := range wanted {
		if seq+1 > h.seq && (last == nil || seq > last.Seq) {
			last = cp
		}
	}
	if last == nil {
		return nil
	}
	cut := fmt.Sprintf("at least %d entries were", last.Seq+1-h.seq)
	if last.Seq+1-h.seq == 1 {
		cut = "at least one entry was"
	}
	return &ChainError{Line: n, Reason: fmt.Sprintf("the log ends at entry %d, but a checkpoint kept elsewhere (%s) is entry %d: %s cut off its end", h.seq, last.Time, last.Seq+1, cut), Err: ErrTruncated}
}

// ReadCheckpoints reads checkpoints kept elsewhere: lines of an audit log,
// of which only the checkpoint lines are taken, as the vault wrote them.
func ReadCheckpoints(r io.Reader) ([]Checkpoint, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Checkpoint
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(bytes.TrimSpace(line)) > 0 && isCheckpoint(line) {
			cp, reason := parseCheckpoint(line)
			if reason != "" {
				return nil, fmt.Errorf("line %d: %s", n, reason)
			}
			out = append(out, *cp)
		}
		switch {
		case err == io.EOF:
			return out, nil
		case err != nil:
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
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
