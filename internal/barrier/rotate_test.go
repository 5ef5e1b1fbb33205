package barrier

import (
	"encoding/binary"
	"fmt"
	"testing"
)

func TestRotate(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	put(t, b, "sys/old", "o")
	put(t, b, "env/prod/old", "p")
	term, err := b.Rotate(ctx)
	if err != nil || term != 2 {
		t.Fatalf("Rotate = %d, %v; want 2", term, err)
	}
	put(t, b, "sys/new", "n")
	put(t, b, "env/prod/new", "q")
	for key, want := range map[string]uint32{"sys/old": 1, "env/prod/old": 1, "sys/new": 2, "env/prod/new": 2} {
		if got := f.storedTerm(t, key); got != want {
			t.Errorf("%s stored under term %d, want %d", key, got, want)
		}
	}
	if st, _ := b.Status(ctx); st.Term != 2 {
		t.Errorf("Status.Term = %d, want 2", st.Term)
	}
	// After a restart, every term still reads and the new one still writes.
	b = f.open(t)
	for key, want := range map[string]string{"sys/old": "o", "env/prod/old": "p", "sys/new": "n", "env/prod/new": "q"} {
		if got := get(t, b, key); got != want {
			t.Errorf("after reopen %s = %q, want %q", key, got, want)
		}
	}
	put(t, b, "env/prod/again", "r")
	if got := f.storedTerm(t, "env/prod/again"); got != 2 {
		t.Errorf("after reopen new env write under term %d, want 2", got)
	}
	// The environment's keyring itself was rewrapped under the new system term.
	if got := f.storedTerm(t, envRingPrefix+"prod"); got != 2 {
		t.Errorf("environment keyring wrapped under system term %d, want 2", got)
	}
}

// writeTerms writes n values under prefix and returns the key term each was
// stored under.
func writeTerms(t *testing.T, f *fixture, b *Barrier, prefix string, n int) []uint32 {
	t.Helper()
	terms := make([]uint32, n)
	for i := range terms {
		key := fmt.Sprintf("%sk%d", prefix, i)
		put(t, b, key, "v")
		terms[i] = f.storedTerm(t, key)
	}
	return terms
}

// checkRuns checks that terms only step up by one, and that every run of
// one term is at most max long, and exactly max for every term but the
// first and last.
func checkRuns(t *testing.T, terms []uint32, max int) {
	t.Helper()
	run := 1
	for i := 1; i <= len(terms); i++ {
		if i < len(terms) && terms[i] == terms[i-1] {
			run++
			continue
		}
		first, last := terms[i-1] == terms[0], i == len(terms)
		if run > max || (!first && !last && run != max) {
			t.Fatalf("term %d encrypted %d values, budget %d: %v", terms[i-1], run, max, terms)
		}
		if !last && terms[i] != terms[i-1]+1 {
			t.Fatalf("term went from %d to %d: %v", terms[i-1], terms[i], terms)
		}
		run = 1
	}
	if terms[len(terms)-1] == terms[0] {
		t.Fatalf("no rotation in %d writes with a budget of %d", len(terms), max)
	}
}

func TestAutoRotation(t *testing.T) {
	const max = 5
	f := newFixture(t, max)
	b := f.open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	envTerms := writeTerms(t, f, b, "env/prod/", 3*max)
	checkRuns(t, envTerms, max)
	if envTerms[0] != 1 || envTerms[max] != 2 {
		t.Fatalf("a new environment key rotated off schedule: %v", envTerms)
	}
	checkRuns(t, writeTerms(t, f, b, "sys/", 4*max), max)
	// Everything still reads, also after a restart.
	b = f.open(t)
	for i := range 3 * max {
		get(t, b, fmt.Sprintf("env/prod/k%d", i))
		get(t, b, fmt.Sprintf("sys/k%d", i))
	}
}

// TestCounterNotReusedAcrossReopen checks that a restart continues from the
// persisted reservation, burning the unused rest of it, and never counts
// the same encryptions twice.
func TestCounterNotReusedAcrossReopen(t *testing.T) {
	const max = 12 // reservation blocks of 3
	f := newFixture(t, max)
	b := f.open(t)
	put(t, b, "a", "v")
	rec := f.raw(t, systemCounterKey)
	term, upto := binary.BigEndian.Uint32(rec), binary.BigEndian.Uint64(rec[4:])
	if term != 1 || upto < b.open.system.used || upto%3 != 0 {
		t.Fatalf("reservation after one write: term %d up to %d, used %d", term, upto, b.open.system.used)
	}
	b = f.open(t) // must start at upto
	for i := range max - upto {
		key := fmt.Sprintf("d%d", i)
		put(t, b, key, "v")
		if got := f.storedTerm(t, key); got != 1 {
			t.Fatalf("write %d after reopen under term %d, want 1 (reserved up to %d of %d)", i, got, upto, max)
		}
	}
	put(t, b, "e", "v")
	if got := f.storedTerm(t, "e"); got != 2 {
		t.Fatalf("write past the budget under term %d, want 2 (counts reused after reopen)", got)
	}
}

func TestCounterReservationWrittenBeforeUse(t *testing.T) {
	f := newFixture(t, 1<<20)
	b := f.open(t)
	for i := range 3 {
		put(t, b, fmt.Sprintf("k%d", i), "v")
	}
	rec := f.raw(t, systemCounterKey)
	if upto := binary.BigEndian.Uint64(rec[4:]); upto < 3 {
		t.Fatalf("reserved up to %d after 3 encryptions", upto)
	}
}
