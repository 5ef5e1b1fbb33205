// Package snapshot writes and reads ward snapshots: every entry of a store,
// read from one consistent point in time, in one checksummed file that
// restores into an empty store of any driver.
//
// The entries are barrier ciphertext, as in the store: a snapshot holds no
// secret in the clear, and a store restored from it unseals with the same
// unseal keys as the one it was taken from.
//
//	sum, err := snapshot.Save(ctx, f, db)        // db: a storage.Dumper
//	sum, err := snapshot.Restore(ctx, f, empty)  // any storage.Backend
//
// The file format, version 1:
//
//	"WARDSNAP" 0x00 0x01                 magic and version
//	records, in byte order of keys:
//	  0x01 uvarint(len key) key uvarint(len value) value
//	0x00 uvarint(count) sha256(records)   the trailer
//
// The checksum covers the records exactly as written, so it is also a
// checksum of the store's content: Sum computes it from a store without
// writing a file, which is how a migration is verified.
package snapshot

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/wardhq/ward/internal/storage"
)

// magic opens every snapshot: the name and the format version.
var magic = []byte("WARDSNAP\x00\x01")

const (
	tagEntry = 0x01
	tagEnd   = 0x00
	// MaxValueLen is the largest value a snapshot may hold; a length
	// above it means the file is damaged or hostile, not a huge entry.
	MaxValueLen = 64 << 20
)

// ErrCorrupt is wrapped by the error for a file that is not a whole, intact
// snapshot: wrong magic, truncated, a bad length, a checksum mismatch.
var ErrCorrupt = errors.New("snapshot: damaged or not a ward snapshot")

// ErrNotEmpty is wrapped by the error from Restore when the target store
// already holds entries.
var ErrNotEmpty = errors.New("snapshot: target store is not empty")

// Summary describes a snapshot or a store's content.
type Summary struct {
	Entries int
	SHA256  [sha256.Size]byte // of the records; equal content, equal sum
}

// Hex returns the checksum in hex.
func (s Summary) Hex() string { return hex.EncodeToString(s.SHA256[:]) }

func (s Summary) String() string { return fmt.Sprintf("%d entries, sha256 %s", s.Entries, s.Hex()) }

// recordWriter encodes records to w while hashing them.
type recordWriter struct {
	w     *bufio.Writer
	h     hash.Hash
	n     int
	last  []byte
	first bool
}

func newRecordWriter(w io.Writer) *recordWriter {
	return &recordWriter{w: bufio.NewWriterSize(w, 1<<16), h: sha256.New(), first: true}
}

func (rw *recordWriter) add(e *storage.Entry) error {
	if !rw.first && bytes.Compare([]byte(e.Key), rw.last) <= 0 {
		return fmt.Errorf("snapshot: store gave key %q out of order", e.Key)
	}
	rw.first = false
	rw.last = append(rw.last[:0], e.Key...)
	var buf [1 + 2*binary.MaxVarintLen64]byte
	b := append(buf[:0], tagEntry)
	b = binary.AppendUvarint(b, uint64(len(e.Key)))
	rw.h.Write(b)
	rw.h.Write([]byte(e.Key))
	if _, err := rw.w.Write(b); err != nil {
		return err
	}
	if _, err := rw.w.WriteString(e.Key); err != nil {
		return err
	}
	b = binary.AppendUvarint(buf[:0], uint64(len(e.Value)))
	rw.h.Write(b)
	rw.h.Write(e.Value)
	if _, err := rw.w.Write(b); err != nil {
		return err
	}
	_, err := rw.w.Write(e.Value)
	rw.n++
	return err
}

func (rw *recordWriter) summary() Summary {
	s := Summary{Entries: rw.n}
	rw.h.Sum(s.SHA256[:0])
	return s
}

// Save writes a snapshot of d to w. The entries come from one consistent
// point in time (see storage.Dumper), so writes may go on meanwhile.
func Save(ctx context.Context, w io.Writer, d storage.Dumper) (Summary, error) {
	if _, err := w.Write(magic); err != nil {
		return Summary{}, err
	}
	rw := newRecordWriter(w)
	if err := d.Dump(ctx, rw.add); err != nil {
		return Summary{}, err
	}
	s := rw.summary()
	trailer := append([]byte{tagEnd}, binary.AppendUvarint(nil, uint64(s.Entries))...)
	trailer = append(trailer, s.SHA256[:]...)
	if _, err := rw.w.Write(trailer); err != nil {
		return Summary{}, err
	}
	return s, rw.w.Flush()
}

// Sum returns the Summary of d's content: what Save would write in the
// trailer, without writing anything.
func Sum(ctx context.Context, d storage.Dumper) (Summary, error) {
	rw := newRecordWriter(io.Discard)
	if err := d.Dump(ctx, rw.add); err != nil {
		return Summary{}, err
	}
	return rw.summary(), nil
}
