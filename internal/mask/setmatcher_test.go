package mask

import (
	"bytes"
	"strings"
	"testing"
)

// TestSetMatcher: a value added while a Writer runs is masked from then
// on, even when its first bytes were already held; the old one still is.
func TestSetMatcher(t *testing.T) {
	const oldV, newV = "old-secret-value-1", "new-secret-value-2"
	old, _, err := NewMatcher([]Secret{{Name: "db", Value: []byte(oldV)}}, Options{AfterFunc: (&fakeClock{}).AfterFunc})
	if err != nil {
		t.Fatal(err)
	}
	both, _, err := NewMatcher([]Secret{{Name: "db", Value: []byte(oldV)}, {Name: "db", Value: []byte(newV)}}, Options{AfterFunc: (&fakeClock{}).AfterFunc})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := old.NewWriter(&out)
	w.Write([]byte("before " + oldV + " " + newV + "\n"))
	w.Write([]byte("split new-sec")) // not held: the old Matcher cannot know it
	w.SetMatcher(both)
	w.Write([]byte("ret-value-2 then " + newV + " and " + oldV + "\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	want := "before [masked:db] " + newV + "\n"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("before the switch: got %q, want it to start %q", got, want)
	}
	rest := strings.TrimPrefix(got, want)
	if strings.Contains(rest, oldV) || strings.Count(rest, newV) != 0 || strings.Count(rest, "[masked:db]") < 2 {
		t.Fatalf("after the switch: %q: want both values masked", rest)
	}
}
