package audit_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/audit/audittest"
)

func TestVerifyTampering(t *testing.T) {
	intact, err := audittest.Intact()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range audittest.Cases(intact) {
		t.Run(c.Name, func(t *testing.T) {
			n, err := audit.Verify(bytes.NewReader(c.Log))
			if c.Err == nil {
				if err != nil || n != audittest.Entries {
					t.Fatalf("Verify = %d, %v; want %d entries, intact", n, err, audittest.Entries)
				}
				return
			}
			var ce *audit.ChainError
			if !errors.As(err, &ce) || !errors.Is(err, c.Err) || ce.Line != c.Line || n != c.Line-1 {
				t.Fatalf("Verify = %d, %v; want %v at line %d after %d entries", n, err, c.Err, c.Line, c.Line-1)
			}
			if ce.Reason == "" {
				t.Error("no reason")
			}
		})
	}
}

func TestVerifyEmpty(t *testing.T) {
	if n, err := audit.Verify(bytes.NewReader(nil)); n != 0 || err != nil {
		t.Fatalf("Verify of an empty log = %d, %v", n, err)
	}
}

func TestVerifyLongLine(t *testing.T) {
	long := bytes.Repeat([]byte("a"), audit.MaxLine+1)
	_, err := audit.Verify(bytes.NewReader(long))
	var ce *audit.ChainError
	if !errors.As(err, &ce) || ce.Line != 1 || !errors.Is(err, audit.ErrBroken) {
		t.Fatalf("Verify of a long line: %v", err)
	}
}

// TestVerifyEveryByte changes, and then removes, each byte of an intact log
// in turn: Verify must never call the result intact, and must report the
// line of the change or, for a removed newline, the line it joined.
func TestVerifyEveryByte(t *testing.T) {
	intact, err := audittest.Intact()
	if err != nil {
		t.Fatal(err)
	}
	lineOf := func(i int) int { return bytes.Count(intact[:i], []byte("\n")) + 1 }
	for i := range intact {
		for _, log := range [][]byte{
			append(append(append([]byte{}, intact[:i]...), intact[i]^0x20), intact[i+1:]...),
			append(append([]byte{}, intact[:i]...), intact[i+1:]...),
		} {
			n, err := audit.Verify(bytes.NewReader(log))
			var ce *audit.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("byte %d changed: Verify = %d, %v; want a *ChainError", i, n, err)
			}
			if ce.Line != lineOf(i) {
				t.Fatalf("byte %d (line %d) changed: Verify reports line %d", i, lineOf(i), ce.Line)
			}
		}
	}
}
