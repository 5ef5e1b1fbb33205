package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Secrets are read from each server's read cache (see
// internal/storage/postgres/cache.go): a write is read back at once on the
// server that made it, and on the other server, which had the old value
// cached, within a second.
func TestSecretReadsFollowTheOtherServer(t *testing.T) {
	a, b := twoServers(t)
	a.mustWard("", "env", "create", "staging")
	const path = "/v1/staging/data/app/db"
	read := func(s *devServer) string {
		t.Helper()
		code, body := call(t, s, "GET", path, s.Token, "")
		if code != 200 {
			t.Fatalf("read on %s: %d %s", s.Addr, code, body)
		}
		return body
	}
	write := func(s *devServer, v string) {
		t.Helper()
		if code, body := call(t, s, "POST", path, s.Token, `{"data":{"v":"`+v+`"}}`); code != 200 {
			t.Fatalf("write on %s: %d %s", s.Addr, code, body)
		}
	}
	write(a, "first")
	untilStatus(t, b, b.Token, "staging/data/app/db", 200, time.Now(), 5*time.Second)
	const rounds = 15
	var seen []time.Duration
	for i := range rounds {
		// Read your writes: the server that wrote reads the new value
		// at once, though it had the old one cached.
		mine := fmt.Sprintf("a-%d", i)
		read(a)
		write(a, mine)
		if got := read(a); !strings.Contains(got, `"v":"`+mine+`"`) {
			t.Fatalf("round %d: the writing server read %s after writing %s", i, got, mine)
		}
		// The other server had the value before cached (it reads it
		// twice) and reads the new one within a second.
		read(b)
		read(b)
		theirs := fmt.Sprintf("b-%d", i)
		start := time.Now()
		write(a, theirs)
		for !strings.Contains(read(b), `"v":"`+theirs+`"`) {
			if time.Since(start) > time.Second {
				t.Fatalf("round %d: the other server still reads the old value 1s after the write", i)
			}
			time.Sleep(2 * time.Millisecond)
		}
		seen = append(seen, time.Since(start))
	}
	t.Logf("a secret written on one server is read on the other after median %v (max %v), %d rounds",
		median(seen), slices.Max(seen), rounds)
}
