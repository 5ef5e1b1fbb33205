package mask

import (
	"encoding/base64"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const (
	alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	hexd  = "0123456789abcdef"
)

func randString(r *rand.Rand, n int, cs string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = cs[r.IntN(len(cs))]
	}
	return string(b)
}

// benchSecrets makes k secrets shaped like CI credentials: GitHub, GitLab,
// Slack, Stripe and AWS tokens, random passwords and JWTs.
func benchSecrets(k int) []Secret {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]Secret, k)
	for i := range out {
		var v string
		switch i % 7 {
		case 0:
			v = "ghp_" + randString(r, 36, alnum)
		case 1:
			v = "glpat-" + randString(r, 20, alnum+"_-")
		case 2:
			v = "xoxb-" + randString(r, 12, hexd[:10]) + "-" + randString(r, 24, alnum)
		case 3:
			v = "sk_live_" + randString(r, 24+r.IntN(60), alnum)
		case 4:
			v = "AKIA" + randString(r, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
		case 5:
			v = randString(r, 16+r.IntN(17), alnum+"!@#%^&*-_=+?/'\" ")
		default:
			e := base64.RawURLEncoding
			v = "eyJhbGciOiJIUzI1NiJ9." + e.EncodeToString([]byte(randString(r, 40, alnum))) + "." + e.EncodeToString([]byte(randString(r, 32, alnum)))
		}
		out[i] = Secret{Name: fmt.Sprintf("svc%d/db.password", i), Value: []byte(v)}
	}
	return out
}

// benchLog makes about n bytes of GitHub-Actions-style CI output.
func benchLog(n int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("account batch buffer cache client cluster config deploy engine event fetch handler index job lease loader manifest node order parser payload pipeline policy queue record region request route runner schema session shard stream task worker")
	pick := func() string { return words[r.IntN(len(words))] }
	var b strings.Builder
	clock := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	for b.Len() < n {
		clock = clock.Add(time.Duration(r.IntN(300000)) * time.Microsecond)
		b.WriteString(clock.Format("2006-01-02T15:04:05.0000000Z "))
		switch r.IntN(10) {
		case 0:
			fmt.Fprintf(&b, "go: downloading github.com/acme/%s-%s v1.%d.%d", pick(), pick(), r.IntN(30), r.IntN(20))
		case 1:
			fmt.Fprintf(&b, "=== RUN   Test%s/case_%d", pick(), r.IntN(50))
		case 2:
			fmt.Fprintf(&b, "ok  \tgithub.com/acme/platform/internal/%s\t%d.%03ds\tcoverage: %d.%d%% of statements", pick(), r.IntN(20), r.IntN(1000), r.IntN(100), r.IntN(10))
		case 3:
			fmt.Fprintf(&b, "#%d sha256:%s %d.%dMB / %d.%dMB", r.IntN(40), randString(r, 64, hexd), r.IntN(50), r.IntN(10), r.IntN(200), r.IntN(10))
		case 4:
			fmt.Fprintf(&b, "   Compiling %s v0.%d.%d", pick(), r.IntN(40), r.IntN(20))
		case 5:
			fmt.Fprintf(&b, `time="2024-05-01T12:00:00Z" level=info msg="%s %s done" request_id=%s duration_ms=%d`, pick(), pick(), randString(r, 32, hexd), r.IntN(3000))
		case 6:
			fmt.Fprintf(&b, "\x1b[32m--- PASS\x1b[0m: Test%s (0.%02ds)", pick(), r.IntN(100))
		case 7:
			fmt.Fprintf(&b, `{"event":"deploy","id":"%s","name":"%s","replicas":%d}`, randString(r, 12, hexd), pick(), r.IntN(9))
		default:
			fmt.Fprintf(&b, "  %s %s %s %s %d", pick(), pick(), pick(), pick(), r.IntN(1000))
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// BenchmarkWriter masks 64 MiB of CI log text, written in 1 MiB chunks, with
// 10 and 1,000 secrets and all their forms. Run it on one core:
//
//	go test -run '^$' -bench Writer -cpu 1 -count 5 ./internal/mask
func BenchmarkWriter(b *testing.B) {
	for _, k := range []int{10, 1000} {
		b.Run(fmt.Sprintf("secrets=%d", k), func(b *testing.B) {
			m, _, err := NewMatcher(benchSecrets(k), Options{})
			if err != nil {
				b.Fatal(err)
			}
			log := benchLog(64 << 20)
			const chunk = 1 << 20
			b.SetBytes(int64(len(log)))
			cpu0 := cpuTime()
			for b.Loop() {
				w := m.NewWriter(io.Discard)
				for i := 0; i < len(log); i += chunk {
					w.Write(log[i:min(len(log), i+chunk)])
				}
				w.Close()
			}
			// On a shared machine wall time varies with the neighbours'
			// load; CPU time much less.
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(len(log))*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
			}
		})
	}
}

// BenchmarkNewMatcher builds the matcher for 1,000 secrets with all their
// forms (issue target: at most 30 ms and 30 MB). Besides wall time it
// reports CPU milliseconds per build, steadier on a shared machine:
//
//	go test -run '^$' -bench NewMatcher -benchmem -count 5 ./internal/mask
func BenchmarkNewMatcher(b *testing.B) {
	// 50 is a job's secrets under ward run; 1,000 the target.
	for _, k := range []int{50, 1000} {
		b.Run(fmt.Sprintf("secrets=%d", k), func(b *testing.B) {
			s := benchSecrets(k)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				NewMatcher(s, Options{})
			}
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/op")
			}
		})
	}
}

func BenchmarkFind(b *testing.B) {
	m, _, err := NewMatcher(benchSecrets(1000), Options{})
	if err != nil {
		b.Fatal(err)
	}
	log := benchLog(1 << 20)
	b.SetBytes(int64(len(log)))
	var ms []match
	for b.Loop() {
		ms = m.find(log, ms, false)
	}
}

// BenchmarkWindowProbe runs the window filter's probe alone over 16 MiB of
// CI log in 128 KiB parts (a worker's part of a 1 MiB read), with the
// filter for 1,000 secrets (512 KiB) and with its first 64 KiB, re-indexed
// (a filter of that size passes many more grams, but each probe costs the
// same instructions): the difference is what the filter's cache misses
// cost. One core:
//
//	go test -run '^$' -bench WindowProbe -cpu 1 -count 10 ./internal/mask
func BenchmarkWindowProbe(b *testing.B) {
	m, _, err := NewMatcher(benchSecrets(1000), Options{})
	if err != nil {
		b.Fatal(err)
	}
	w := m.window
	log := benchLog(16 << 20)
	full, shift := w.bits, w.bshift
	defer func() { w.bits, w.bshift = full, shift }()
	for _, kib := range []int{len(full) * 8 >> 10, 64} {
		b.Run(fmt.Sprintf("filter=%dKiB", kib), func(b *testing.B) {
			w.bits = full[:kib<<10/8]
			w.bshift = shift + uint(bits.Len(uint(len(full)/len(w.bits)))-1)
			b.SetBytes(int64(len(log)))
			for b.Loop() {
				for off := 0; off < len(log); off += 128 << 10 {
					part := log[off:min(len(log), off+128<<10)]
					for i := 0; ; i += WindowLen - 7 {
						if i, _ = w.nextMaybe(part, i); i < 0 {
							break
						}
					}
				}
			}
		})
	}
}
