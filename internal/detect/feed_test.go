package detect

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// handOff is one line as both feeds see it: the line the log wrote, and
// what the live feed (Service.OfferEntries) queued for its entry.
type handOff struct {
	line     []byte
	response bool  // the live feed took it for a response entry
	ev       Event // as queued, made what the line holds with asLine
	ok       bool  // asLine's verdict
}

// writeBoth writes each group of entries with one WriteAll through a real
// audit log (and signs a checkpoint after the first), and returns every
// line with what OnEntries handed over for it.
func writeBoth(t testing.TB, now time.Time, groups ...[]*audit.Entry) []handOff {
	t.Helper()
	var lines [][]byte
	var live []handOff
	svc := NewService(ServiceConfig{Config: DefaultConfig()}) // not started: the test takes what it queues
	_, key, _ := ed25519.GenerateKey(nil)
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := audit.Open(audit.Config{
		Path: path, HMACKey: bytes.Repeat([]byte{7}, 32), CheckpointKey: key,
		Now: func() time.Time { return now },
		OnWrite: func(b []byte) {
			for _, line := range bytes.SplitAfter(b, []byte("\n")) {
				if len(line) > 0 {
					lines = append(lines, bytes.Clone(line))
				}
			}
		},
		OnEntries: func(batch []audit.Written) {
			svc.OfferEntries(batch)
			f := &svc.feed
			f.mu.Lock()
			evs := f.events
			f.events, f.lines = nil, 0
			f.mu.Unlock()
			for i := range batch {
				h := handOff{response: isResponse(&batch[i])}
				if h.response {
					h.ev, evs = evs[0], evs[1:]
					h.ok = h.ev.asLine()
				}
				live = append(live, h)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i, g := range groups {
		if err := l.WriteAll(context.Background(), g...); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := l.Checkpoint(context.Background(), audit.CheckpointSeal); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(live) != len(lines) {
		t.Fatalf("OnEntries handed over %d entries, OnWrite %d lines", len(live), len(lines))
	}
	for i := range live {
		live[i].line = lines[i]
	}
	return live
}

// checkSame fails unless the live feed read of each line what ParseLine
// reads of it: the same Event, field for field, or the same refusal.
func checkSame(t testing.TB, hs []handOff) {
	t.Helper()
	for i, h := range hs {
		var parsed Event
		err := ParseLine(bytes.TrimSuffix(h.line, []byte("\n")), &parsed)
		switch {
		case errors.Is(err, ErrSkip):
			if h.response {
				t.Errorf("line %d: ParseLine skips it, the live feed read it as a response\n%s", i+1, h.line)
			}
		case !h.response:
			t.Errorf("line %d: the live feed skipped it, ParseLine: %v\n%s", i+1, err, h.line)
		case err != nil:
			if h.ok {
				t.Errorf("line %d: ParseLine refuses it (%v), the live feed took %+v\n%s", i+1, err, h.ev, h.line)
			}
		case !h.ok:
			t.Errorf("line %d: the live feed refused what ParseLine reads as %+v", i+1, parsed)
		case h.ev != parsed:
			t.Errorf("line %d:\n live   %+v\n parsed %+v\n%s", i+1, h.ev, parsed, h.line)
		}
	}
}

// TestLiveHandOffEqualsLineParser: for the same requests, the structs the
// audit log hands the detectors live are equal to those ParseLine reads
// of the lines it wrote, in every case the line's JSON can change a value.
func TestLiveHandOffEqualsLineParser(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 30, 0, 123456789, time.UTC)
	ci := entry(start, "response", 200, "prod/data/app/db", "")
	noToken := entry(start.Add(time.Second), "response", 403, "prod/data/app/db", "permission denied")
	noToken.Token, noToken.Accessor, noToken.Meta = "", "", nil
	accessorOnly := entry(start, "response", 200, "prod/data/a", "")
	accessorOnly.Token = ""
	stamped := entry(time.Time{}, "response", 204, "prod/metadata/a", "") // Time from Config.Now
	local := entry(time.Now().In(time.FixedZone("UTC+5", 5*3600)), "response", 200, "p", "")
	user := entry(start, "response", 200, "prod/data/u", "")
	user.Meta = map[string]string{"username": "alice", "ward_identity": "user:alice"}
	escapes := entry(start, "response", 403, "prod/data/app/\"q\"\\db\u2028é\x01\t", "denied\n\"x\" <&>")
	escapes.Identity, escapes.RemoteAddr = "jwt\x7f-\U0001F600", "[2001:db8::1]:443"
	escapes.Meta["ci_ref"] = "refs/heads/\x00\u2029"
	invalid := entry(start, "response", 200, "prod/data/a\xffb\xed\xa0\x80c", "bad \xc3")
	invalid.Identity = "id\xfe\xff"
	invalid.Meta = map[string]string{"role": "r\xff", "ci_repository": "o/r", "rol\xffe": "x", "ci_workflow": "\xf0\x9f\x98"}
	zeroStatus := entry(start, "response", 0, "", "")
	negative := entry(start, "response", -1, "p", "")
	huge := entry(start, "response", 1_000_000_000, "p", "")
	maxStatus := entry(start, "response", 999_999_999, "p", "")
	late := entry(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "response", 200, "p", "")
	year0 := entry(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "response", 200, "p", "")
	otherToken := entry(start, "response", 200, "prod/data/b", "")
	otherToken.Token, otherToken.Accessor = "ward_tok_OTHER", "acc2"
	alert := entry(start, "alert", 0, "p", "")
	event := entry(start, "event", 0, "p", "")
	empty := entry(start, "", 0, "p", "")

	hs := writeBoth(t, now,
		[]*audit.Entry{entry(start, "request", 0, "prod/data/app/db", ""), ci},
		[]*audit.Entry{noToken, accessorOnly, stamped, local, user},
		[]*audit.Entry{escapes, invalid},
		[]*audit.Entry{zeroStatus, negative, huge, maxStatus, late, year0},
		[]*audit.Entry{ci, otherToken, ci}, // the token's HMAC memo changes within one write
		[]*audit.Entry{alert, event, empty},
	)
	checkSame(t, hs)

	// The comparison above is only as good as what it compares: check a
	// few events against what they must be.
	if got := hs[1].ev; !hs[1].ok || got.Role != "deploy" || got.Repository != "octo/api" || got.Path != "prod/data/app/db" ||
		got.Status != 200 || !got.Time.Equal(start) || len(got.Token) != len("hmac-sha256:")+64 || got.Token == got.Accessor {
		t.Errorf("the CI read came through as %+v", got)
	}
	if hs[2].response || hs[2].line == nil || !bytes.Contains(hs[2].line, []byte(`"type":"checkpoint"`)) {
		t.Errorf("line 3 should be the checkpoint, skipped: %+v", hs[2])
	}
	if got := hs[5].ev; !got.Time.Equal(now) {
		t.Errorf("a stamped entry came through at %v, want %v", got.Time, now)
	}
	if got := hs[9].ev; got.Identity != "id\uFFFD\uFFFD" || got.Role != "r\uFFFD" || got.Workflow != "\uFFFD\uFFFD\uFFFD" {
		t.Errorf("invalid UTF-8 came through as %+v", got)
	}
	for i, wantOK := range []bool{true, false, false, true, false, true} {
		if h := hs[10+i]; h.ok != wantOK {
			t.Errorf("line %d: live feed took it %v, want %v", 11+i, h.ok, wantOK)
		}
	}
	for i := 19; i < 22; i++ {
		if hs[i].response {
			t.Errorf("line %d is not a response, the live feed took it for one", i+1)
		}
	}
}

// FuzzLiveHandOff checks the live hand-off against ParseLine for entries
// with hostile strings, statuses and times.
func FuzzLiveHandOff(f *testing.F) {
	f.Add("jwt-repo:octo/api", "prod/data/app/db", "role", "deploy", "ward_tok_x", 200, int64(1_796_000_000_000_000_000))
	f.Add("id\xff", "a\"\\\u2028\x01", "ward_identity", "\xed\xa0\x80", "", -3, int64(-9_000_000_000_000_000_000))
	f.Add("", "", "ci_ref", "refs/pull/1/merge", "t", 1_000_000_000, int64(0))
	f.Fuzz(func(t *testing.T, identity, path, metaKey, metaValue, token string, status int, unixNano int64) {
		e := &audit.Entry{
			Time: time.Unix(0, unixNano), Type: "response", Identity: identity, Token: token, Accessor: token + identity,
			Environment: metaValue, Path: path, Operation: identity, RemoteAddr: path, Status: status, Error: metaKey,
			Meta: map[string]string{metaKey: metaValue, "role": path, "ci_workflow": identity},
		}
		if len(path)+len(identity)+len(metaValue) > 8<<10 {
			return // past audit.MaxLine, refused by Write alike for both
		}
		checkSame(t, writeBoth(t, time.Unix(1_796_000_000, 0), []*audit.Entry{e}))
	})
}

// TestLiveFeedRaisesWhatReplayRaises runs a history with incidents of
// several kinds through a Service fed live by the audit log that writes
// it, and through a Service replaying the file: both must count the same
// lines and raise the same alerts.
func TestLiveFeedRaisesWhatReplayRaises(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := DefaultConfig()
	cfg.LearnFor = 24 * time.Hour
	cfg.SensitivePath.BreakGlass = []string{"prod/break-glass/*"}
	live := NewService(ServiceConfig{Config: cfg})
	live.Start(ctx)
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := audit.Open(audit.Config{Path: path, HMACKey: bytes.Repeat([]byte{7}, 32), OnEntries: live.OfferEntries})
	if err != nil {
		t.Fatal(err)
	}
	write := func(es ...*audit.Entry) {
		if err := l.WriteAll(ctx, es...); err != nil {
			t.Fatal(err)
		}
	}
	read := func(ts time.Time, repo, p string, status int, addr string) {
		e := entry(ts, "response", status, p, "")
		e.Meta["ci_repository"], e.Identity, e.RemoteAddr = repo, "jwt-repo:"+repo, addr
		req := *e
		req.Type, req.Status = "request", 0
		write(&req, e)
	}
	workdays(3, func(ts time.Time) {
		for i, p := range paths(3) {
			read(ts.Add(time.Duration(i)*time.Minute), "octo/api", "prod/data/"+p, 200, "10.0.0.1:1234")
		}
	})
	day4 := start.Add(3*24*time.Hour + 10*time.Hour)
	read(day4, "octo/api", "prod/data/app/new", 200, "10.0.0.1:1234")                      // first_read
	read(day4.Add(time.Minute), "octo/api", "prod/break-glass/root", 200, "10.0.0.1:1234") // sensitive_path
	read(day4.Add(2*time.Minute), "octo/api", "prod/data/app/x", 200, "203.0.113.9:999")   // token_addresses
	read(day4.Add(3*time.Minute), "evil/fork", "prod/data/app/x", 200, "10.0.0.1:1234")    // new_ci_context
	for i := range 12 {
		read(day4.Add(time.Hour+time.Duration(i)*time.Second), "octo/api", "prod/data/app/db", 403, "10.0.0.1:1234") // denial_burst
	}
	for i := range 45 {
		read(day4.Add(2*time.Hour+time.Duration(i)*time.Second), "octo/api", fmt.Sprintf("prod/data/enum/%d", i), 404, "10.0.0.1:1234") // enumeration
	}
	write(entry(day4, "response", 200, "prod/data/\xffbad", "")) // refused by neither
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := live.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	replay := NewService(ServiceConfig{Config: cfg})
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := replay.Replay(ctx, f); err != nil {
		t.Fatal(err)
	}
	ls, rs := live.Stats(), replay.Stats()
	if ls.Engine.Lines != rs.Engine.Lines || ls.Engine.Events != rs.Engine.Events || ls.Engine.Skipped != rs.Engine.Skipped ||
		ls.Engine.Unparsable != 0 || rs.Engine.Unparsable != 0 || ls.Dropped != 0 {
		t.Errorf("live stats %+v\nreplay stats %+v", ls, rs)
	}
	la, ra := live.Alerts(Filter{}), replay.Alerts(Filter{})
	if len(la) != len(ra) {
		t.Fatalf("live raised %d alerts, replay %d:\n%v\n%v", len(la), len(ra), la, ra)
	}
	kinds := map[string]bool{}
	for i := range la {
		if fmt.Sprint(la[i]) != fmt.Sprint(ra[i]) {
			t.Errorf("alert %d:\n live   %+v\n replay %+v", i, la[i], ra[i])
		}
		kinds[la[i].Detector] = true
	}
	for _, d := range []string{DetFirstRead, DetSensitivePath, DetTokenAddresses, DetNewCIContext, DetDenialBurst, DetEnumeration} {
		if !kinds[d] {
			t.Errorf("no %s alert: the history does not test that detector (alerts %v)", d, kinds)
		}
	}
}

// TestOfferEntriesDropsWhenFull: a full backlog drops a batch whole,
// counting its lines, and never blocks the log's writer.
func TestOfferEntriesDropsWhenFull(t *testing.T) {
	s := NewService(ServiceConfig{Config: DefaultConfig(), Backlog: 1})
	req, resp := entry(start, "request", 0, "prod/data/a", ""), entry(start, "response", 200, "prod/data/a", "")
	batch := []audit.Written{{Entry: req, Time: start}, {Entry: resp, Time: start}, {}}
	s.OfferEntries(batch)
	resp.Path = "prod/data/changed" // the writer's entry is its own again: the service kept a copy
	s.OfferEntries(batch)           // the backlog (1) is full: 3 lines dropped
	s.OfferEntries(nil)
	if got := s.Stats().Dropped; got != 3 {
		t.Errorf("dropped %d lines, want 3", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Start(ctx)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.Stats().Engine
	if st.Lines != 3 || st.Events != 1 || st.Skipped != 2 || st.Unparsable != 0 {
		t.Errorf("engine stats %+v, want 3 lines, 1 event", st)
	}
	snap := s.Engine().Snapshot
	var buf bytes.Buffer
	if err := snap(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("prod/a")) || bytes.Contains(buf.Bytes(), []byte("changed")) {
		t.Errorf("the engine learned from the changed entry, not the one offered: %s", buf.Bytes())
	}
}

// TestOfferEntriesConcurrent: batches offered from many goroutines while
// the service runs are all read once, and Flush waits for them.
func TestOfferEntriesConcurrent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := NewService(ServiceConfig{Config: DefaultConfig()})
	s.Start(ctx)
	const writers, batches = 8, 200
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range batches {
				resp := entry(start.Add(time.Duration(i)*time.Second), "response", 200, fmt.Sprintf("prod/data/w%d/%d", w, i), "")
				tok := []byte(fmt.Sprintf("hmac-sha256:%064x", w))
				s.OfferEntries([]audit.Written{{Entry: resp, Time: resp.Time, Token: tok}, {}})
			}
		}()
	}
	for range writers {
		<-done
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Engine.Lines != 2*writers*batches || st.Engine.Events != writers*batches || st.Dropped != 0 {
		t.Errorf("stats %+v, want %d lines, %d events", st, 2*writers*batches, writers*batches)
	}
}

// TestFlushWaitsForEntries: a Flush returns only once the entries offered
// before it are read, even when the goroutine finds the Flush and the
// wake-up ready at once and picks the Flush (it picks either: 20 services
// make a lucky pass of a broken Flush a one-in-a-million chance). The
// entry raises an alert, whose OnAlert gives a Flush that returned too
// early 50 ms to show.
func TestFlushWaitsForEntries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := DefaultConfig()
	cfg.SensitivePath.BreakGlass = []string{"prod/break-glass/*"}
	resp := entry(start, "response", 200, "prod/data/break-glass/root", "")
	for range 20 {
		flushed := make(chan struct{})
		early := make(chan bool, 1)
		s := NewService(ServiceConfig{Config: cfg, OnAlert: func(Alert) {
			select {
			case <-flushed:
				early <- true
			case <-time.After(50 * time.Millisecond):
				early <- false
			}
		}})
		s.OfferEntries([]audit.Written{{Entry: resp, Time: start}})
		go func() {
			if err := s.Flush(ctx); err == nil {
				close(flushed)
			}
		}()
		for len(s.lines) == 0 { // the Flush is queued
			runtime.Gosched()
		}
		s.Start(ctx)
		if <-early {
			t.Fatal("Flush returned before the entry offered before it was read")
		}
		<-flushed
	}
}
