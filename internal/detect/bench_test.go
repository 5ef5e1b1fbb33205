package detect

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// benchLog is a log of CI reads, user reads and logins as the server
// writes them, request and response lines.
func benchLog(b *testing.B, n int) []byte {
	b.Helper()
	var entries []*audit.Entry
	for i := range n {
		ts := start.Add(time.Duration(i) * time.Second)
		repo := fmt.Sprintf("octo/repo-%d", i%14)
		e := entry(ts, "response", 200, fmt.Sprintf("prod/data/app-%d/secret-%d", i%14, i%6), "")
		e.Meta["ci_repository"], e.Meta["ci_workflow"] = repo, repo+"/.github/workflows/deploy.yml@refs/heads/main"
		e.Meta["ci_run_id"], e.Meta["ci_sha"] = fmt.Sprint(1000000+i/6), fmt.Sprintf("%040x", i/6)
		e.Token = fmt.Sprintf("hvs.%d", i/6)
		req := *e
		req.Type, req.Status, req.Data = "request", 0, nil
		entries = append(entries, &req, e)
	}
	raw, err := os.ReadFile(writeLogB(b, entries))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func writeLogB(b *testing.B, entries []*audit.Entry) string {
	path := b.TempDir() + "/audit.log"
	l, err := audit.Open(audit.Config{Path: path, HMACKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.WriteAll(context.Background(), entries...); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkReplay replays CI traffic through every detector; compare with
// BenchmarkParseLine, the decoding alone, run in the same invocation.
func BenchmarkReplay(b *testing.B) {
	raw := benchLog(b, 20000)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		eng := NewEngine(DefaultConfig(), Options{})
		if err := eng.Replay(context.Background(), bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/40000, "ns/line")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/40000, "cpu-ns/line")
}

// cpuTime is the CPU time the process has used, user and system: on a
// loaded machine it varies less than the time on the clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkParseLine(b *testing.B) {
	raw := benchLog(b, 20000)
	lines := bytes.Split(raw, []byte("\n"))
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	var ev Event
	for range b.N {
		for _, l := range lines {
			ParseLine(l, &ev)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/40000, "ns/line")
}

// BenchmarkHandOff compares the two ways a KV read's request and response
// reach the detectors, per read, with the engine's work included: "lines"
// copies the two lines the log wrote and parses them (the feed before
// OnEntries), "entries" reads the facts from the entries the log holds
// (OfferEntries, then the engine, one batch at a time). Run both in one invocation and
// compare their ratio:
//
//	go test -run '^$' -bench HandOff -count 5 -cpu 1 ./internal/detect
func BenchmarkHandOff(b *testing.B) {
	const keys = 100 // as bench/kvload reads them
	var pairs [][]byte
	var batches [][]audit.Written
	path := b.TempDir() + "/audit.log"
	l, err := audit.Open(audit.Config{Path: path, HMACKey: bytes.Repeat([]byte{7}, 32),
		OnWrite: func(lines []byte) { pairs = append(pairs, bytes.Clone(lines)) },
		OnEntries: func(batch []audit.Written) {
			kept := make([]audit.Written, len(batch))
			for i, w := range batch {
				kept[i] = audit.Written{Entry: w.Entry, Time: w.Time, Token: bytes.Clone(w.Token), Accessor: bytes.Clone(w.Accessor)}
			}
			batches = append(batches, kept)
		}})
	if err != nil {
		b.Fatal(err)
	}
	for i := range keys {
		resp := &audit.Entry{Time: start.Add(time.Duration(i) * time.Millisecond), Type: "response", Identity: "root", Token: "hvs.root-token",
			Accessor: "acc-root", Policies: []string{"root"}, Environment: "staging", Path: fmt.Sprintf("staging/data/kvload/k%d", i),
			Operation: "read", RemoteAddr: "127.0.0.1:50312", Status: 200, Data: map[string]any{"data": map[string]any{"password": "x"}}}
		req := *resp
		req.Type, req.Status, req.Data = "request", 0, nil
		if err := l.WriteAll(context.Background(), &req, resp); err != nil {
			b.Fatal(err)
		}
	}
	l.Close()
	run := func(b *testing.B, read func(eng *Engine, i int)) {
		eng := NewEngine(DefaultConfig(), Options{})
		cpu0 := cpuTime()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			read(eng, i%keys)
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/read")
	}
	b.Run("lines", func(b *testing.B) {
		run(b, func(eng *Engine, i int) {
			c := bytes.Clone(pairs[i])
			req, resp, _ := bytes.Cut(c, []byte("\n"))
			eng.Line(req)
			eng.Line(resp[:len(resp)-1])
		})
	})
	b.Run("entries", func(b *testing.B) {
		s := NewService(ServiceConfig{Config: DefaultConfig()})
		var spare []Event
		run(b, func(_ *Engine, i int) {
			s.OfferEntries(batches[i])
			spare = s.drain(spare)
		})
	})
}
