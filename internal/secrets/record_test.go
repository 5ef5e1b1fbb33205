package secrets

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func sampleMeta() *storedMeta {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 89, time.UTC)
	return &storedMeta{
		CASRequired: true, CreatedTime: t0, UpdatedTime: t0.Add(time.Hour),
		CurrentVersion: 12, OldestVersion: 3, MaxVersions: 10, DeleteVersionAfter: 90 * time.Minute,
		CustomMetadata: map[string]string{"owner": "payments", "": "", "é": "ü"},
		Versions: map[int]*storedVersion{
			11: {CreatedTime: t0},
			12: {CreatedTime: t0.Add(time.Minute), DeletionTime: t0.Add(2 * time.Minute)},
			3:  {CreatedTime: t0.Add(-time.Hour), Destroyed: true},
		},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, m := range []*storedMeta{sampleMeta(), {Versions: map[int]*storedVersion{}}} {
		got, err := decodeMeta(encodeMeta(m))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
		}
	}
}

func TestRecordRefusesDamage(t *testing.T) {
	b := encodeMeta(sampleMeta())
	for i := range len(b) {
		if _, err := decodeMeta(b[:i]); !errors.Is(err, errCorruptRecord) {
			t.Fatalf("record cut at %d of %d bytes: %v", i, len(b), err)
		}
	}
	if _, err := decodeMeta(append(b, 0)); !errors.Is(err, errCorruptRecord) {
		t.Errorf("trailing byte: %v", err)
	}
}

// FuzzDecodeMeta checks that no record makes decodeMeta panic or allocate
// without bound, and that what it decodes encodes back the same way.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta(sampleMeta()))
	f.Add(encodeMeta(&storedMeta{}))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecodeRead(t, b)
		m, err := decodeMeta(b)
		if err != nil {
			return
		}
		again, err := decodeMeta(encodeMeta(m))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("re-encoded record differs: %v", err)
		}
	})
}

// checkDecodeRead fails t unless decodeRead gives, for the current
// version, every kept one and a missing one, what decodeMeta gives, and
// refuses what it refuses.
func checkDecodeRead(t *testing.T, b []byte) {
	t.Helper()
	m, merr := decodeMeta(b)
	asked := []int{0, 1, 1 << 40}
	if m != nil {
		for n := range m.Versions {
			asked = append(asked, n)
		}
	}
	for _, ask := range asked {
		n, v, custom, err := decodeRead(b, ask)
		if merr != nil {
			if !errors.Is(err, errCorruptRecord) {
				t.Fatalf("decodeMeta refuses the record (%v), decodeRead(%d) = %v", merr, ask, err)
			}
			continue
		}
		want := ask
		if want == 0 {
			want = m.CurrentVersion
		}
		if err != nil || n != want || !reflect.DeepEqual(v, m.Versions[want]) || !reflect.DeepEqual(custom, m.CustomMetadata) {
			t.Fatalf("decodeRead(%d) = %d %+v %v %v; decodeMeta: version %d %+v %v", ask, n, v, custom, err, want, m.Versions[want], m.CustomMetadata)
		}
	}
}

func TestDecodeReadIsDecodeMeta(t *testing.T) {
	b := encodeMeta(sampleMeta())
	checkDecodeRead(t, b)
	checkDecodeRead(t, encodeMeta(&storedMeta{Versions: map[int]*storedVersion{}}))
	for i := range len(b) {
		checkDecodeRead(t, b[:i])
	}
	checkDecodeRead(t, append(b, 0))
}
