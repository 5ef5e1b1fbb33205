package known

import (
	"bytes"
	"testing"

	"github.com/wardhq/ward/internal/scan"
)

// FuzzRead checks that any file either reads as a set or fails with
// ErrBadSet, and that a set read never matches outside the buffer.
func FuzzRead(f *testing.F) {
	set, _ := Build(testKey, testSecrets)
	var b bytes.Buffer
	set.Write(&b)
	f.Add(b.Bytes())
	f.Add([]byte(`{"format":"ward-known-v1","key":"MDEyMzQ1Njc4OWFiY2RlZg==","entries":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		s.Find(data, len(data), func(start, end int, _ scan.KnownRef) {
			if start < 0 || end > len(data) {
				t.Fatalf("match [%d,%d) outside the buffer", start, end)
			}
		})
	})
}
