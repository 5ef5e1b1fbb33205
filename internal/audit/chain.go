package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// genesis is the "prev" of the first line of a chain.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// hashKey ends the hashed part of every line; the line's hash follows it.
const hashKey = `,"hash":"`

// hashSuffixLen is the length of what follows the hashed part of a line:
// `,"hash":"`, 64 hex digits, `"}`. The newline is not counted.
const hashSuffixLen = len(hashKey) + 2*sha256.Size + len(`"}`)

// maxChainLen is the most that the chain members and the newline add to an
// entry's JSON object.
const maxChainLen = len(`,"seq":18446744073709551615,"prev":""`) + len(genesis) + hashSuffixLen + 1

// MaxLine is the longest line, newline included, that Write writes and
// Verify reads. Write refuses a larger entry with ErrTooLarge.
const MaxLine = 16 << 20

// head is the state of a chain after its last line.
type head struct {
	seq  uint64 // of the last line; 0 before the first
	hash string // hex hash of the last line; genesis before the first
}

// appendLine appends to buf the complete line of an entry whose JSON object,
// without its closing brace, is obj, chained after h. It returns the longer
// buffer and the head after the new line.
func appendLine(buf, obj []byte, h head) ([]byte, head) {
	start := len(buf)
	buf = append(buf, obj...)
	buf = append(buf, `,"seq":`...)
	buf = strconv.AppendUint(buf, h.seq+1, 10)
	buf = append(buf, `,"prev":"`...)
	buf = append(buf, h.hash...)
	buf = append(buf, '"')
	sum := sha256.Sum256(buf[start:])
	buf = append(buf, hashKey...)
	at := len(buf)
	buf = hex.AppendEncode(buf, sum[:])
	next := head{seq: h.seq + 1, hash: string(buf[at:])}
	buf = append(buf, "\"}\n"...)
	return buf, next
}

// lineHash checks that line (without its newline) ends with a hash member
// and that the hash is that of the bytes before it. It returns the hash, or
// a reason the line is bad.
func lineHash(line []byte) (string, string) {
	n := len(line) - hashSuffixLen
	if n < 1 || line[0] != '{' || !bytes.HasPrefix(line[n:], []byte(hashKey)) || !bytes.HasSuffix(line, []byte(`"}`)) {
		return "", "not a ward audit line: it does not end with its hash"
	}
	got := string(line[n+len(hashKey) : len(line)-2])
	want := sha256.Sum256(line[:n])
	if got != hex.EncodeToString(want[:]) {
		return "", "the line was changed after it was written: its hash does not match its content"
	}
	return got, ""
}
