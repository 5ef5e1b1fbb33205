package snapshot

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/wardhq/ward/internal/storage"
)

// Read checks the snapshot in r from start to end and calls fn for each
// entry in order. fn sees entries before the checksum is checked: a caller
// that must not act on a damaged file collects them and acts only when Read
// returned nil (as Restore does). Anything after the trailer is an error.
func Read(r io.Reader, fn func(*storage.Entry) error) (Summary, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || !bytes.Equal(head, magic) {
		return Summary{}, fmt.Errorf("%w: it does not start with the snapshot header", ErrCorrupt)
	}
	h := sha256.New()
	n := 0
	var last []byte
	for {
		tag, err := br.ReadByte()
		if err != nil {
			return Summary{}, truncated(n)
		}
		if tag == tagEnd {
			break
		}
		if tag != tagEntry {
			return Summary{}, fmt.Errorf("%w: unknown record tag 0x%02x after %d entries", ErrCorrupt, tag, n)
		}
		key, err := readField(br, h, tag, storage.MaxKeyLen, "key", n)
		if err != nil {
			return Summary{}, err
		}
		if err := storage.CheckKey(string(key)); err != nil {
			return Summary{}, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, n+1, err)
		}
		if n > 0 && bytes.Compare(key, last) <= 0 {
			return Summary{}, fmt.Errorf("%w: entry %d is out of order", ErrCorrupt, n+1)
		}
		last = key
		value, err := readField(br, h, 0, MaxValueLen, "value", n)
		if err != nil {
			return Summary{}, err
		}
		n++
		if err := fn(&storage.Entry{Key: string(key), Value: value}); err != nil {
			return Summary{}, err
		}
	}
	count, err := binary.ReadUvarint(br)
	if err != nil {
		return Summary{}, truncated(n)
	}
	var want [sha256.Size]byte
	if _, err := io.ReadFull(br, want[:]); err != nil {
		return Summary{}, truncated(n)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return Summary{}, fmt.Errorf("%w: data after the end of the snapshot", ErrCorrupt)
	}
	s := Summary{Entries: n}
	h.Sum(s.SHA256[:0])
	if count != uint64(n) {
		return Summary{}, fmt.Errorf("%w: the trailer counts %d entries, the file holds %d", ErrCorrupt, count, n)
	}
	if s.SHA256 != want {
		return Summary{}, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return s, nil
}

// readField reads one length-prefixed field, feeding the hash the bytes as
// they were written (the tag, when given, precedes the key's length).
func readField(br *bufio.Reader, h io.Writer, tag byte, max int, what string, n int) ([]byte, error) {
	size, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, truncated(n)
	}
	if size > uint64(max) {
		return nil, fmt.Errorf("%w: entry %d: %s of %d bytes, more than %d", ErrCorrupt, n+1, what, size, max)
	}
	var hdr []byte
	if tag != 0 {
		hdr = append(hdr, tag)
	}
	h.Write(binary.AppendUvarint(hdr, size))
	b := make([]byte, size)
	if _, err := io.ReadFull(br, b); err != nil {
		return nil, truncated(n)
	}
	h.Write(b)
	return b, nil
}

func truncated(n int) error {
	return fmt.Errorf("%w: it ends early, after %d entries (truncated copy?)", ErrCorrupt, n)
}

// Restore checks the snapshot in r and writes its entries into b, which
// must be empty, in one transaction: a damaged file or a failed write
// leaves b as it was. The whole snapshot is held in memory meanwhile.
func Restore(ctx context.Context, r io.Reader, b storage.Backend) (Summary, error) {
	names, err := b.List(ctx, "")
	if err != nil {
		return Summary{}, err
	}
	if len(names) > 0 {
		return Summary{}, fmt.Errorf("%w (it has %q, ...); restore into a new data directory or database", ErrNotEmpty, names[0])
	}
	var ops []storage.Op
	s, err := Read(r, func(e *storage.Entry) error {
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: e.Key, Value: e.Value})
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	if err := b.Transaction(ctx, ops); err != nil {
		return Summary{}, fmt.Errorf("snapshot: write the entries: %w", err)
	}
	return s, nil
}
