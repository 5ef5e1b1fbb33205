package detect

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLRUBounded(t *testing.T) {
	l := newLRU[string, int](3)
	for i := range 5 {
		l.Put(fmt.Sprint(i), i)
	}
	if l.Len() != 3 || l.evicted != 2 {
		t.Fatalf("len %d evicted %d, want 3 and 2", l.Len(), l.evicted)
	}
	if _, ok := l.Get("0"); ok {
		t.Error("the oldest entry was kept")
	}
	l.Get("2") // now the most recent
	l.Put("5", 5)
	if _, ok := l.Get("2"); !ok {
		t.Error("a recently used entry was evicted")
	}
	if _, ok := l.Get("3"); ok {
		t.Error("the least recently used entry was kept")
	}
	var order []string
	l.Each(func(k string, _ int) { order = append(order, k) })
	if strings.Join(order, ",") != "4,5,2" {
		t.Errorf("order oldest first = %v, want [4 5 2]", order)
	}
}

// TestMemoryBounded feeds far more identities, tokens and paths than the
// limits and checks that the engine holds no more than them.
func TestMemoryBounded(t *testing.T) {
	lim := Limits{Identities: 50, Addresses: 10, PathsPerIdentity: 8, Tokens: 40, Roles: 5, ContextsPerRole: 4}
	eng := NewEngine(DefaultConfig(), Options{Limits: lim})
	for i := range 2000 {
		ev := ciRead(start.Add(time.Duration(i)*time.Second), fmt.Sprintf("org/repo-%d", i%300), "refs/heads/main", fmt.Sprintf("p/%d", i))
		ev.Role = fmt.Sprintf("role-%d", i%17)
		ev.Token = fmt.Sprintf("hmac-sha256:%d", i)
		eng.Observe(ev)
		u := userEv(ev.Time, fmt.Sprintf("user-%d", i%7), "read", fmt.Sprintf("prod/data/q/%d", i), 200)
		eng.Observe(u)
		eng.Observe(&Event{Time: ev.Time, Path: "auth/jwt/login", Operation: "update", RemoteAddr: fmt.Sprintf("192.0.2.%d:1", i%250), Status: 200})
	}
	// Requests without a token, from ever new addresses, have their own
	// set: they cannot push the users' baselines out.
	if eng.anon.Len() > lim.Addresses {
		t.Fatalf("anonymous identities %d exceed %d", eng.anon.Len(), lim.Addresses)
	}
	for u := range 7 {
		if _, ok := eng.ids.Get(fmt.Sprintf("user:user-%d", u)); !ok {
			t.Errorf("user-%d's baseline was pushed out", u)
		}
	}
	if eng.ids.Len() > lim.Identities || eng.tokens.Len() > lim.Tokens || eng.roles.Len() > lim.Roles {
		t.Fatalf("ids %d tokens %d roles %d exceed %+v", eng.ids.Len(), eng.tokens.Len(), eng.roles.Len(), lim)
	}
	eng.ids.Each(func(k string, st *idState) {
		if st.paths.Len() > lim.PathsPerIdentity {
			t.Errorf("%s keeps %d paths", k, st.paths.Len())
		}
	})
	eng.roles.Each(func(k string, rs *roleState) {
		if rs.contexts.Len() > lim.ContextsPerRole {
			t.Errorf("%s keeps %d contexts", k, rs.contexts.Len())
		}
	})
	if eng.Stats().Evicted == 0 {
		t.Error("no eviction counted")
	}
}

// TestSnapshotSurvivesRestart learns a baseline, carries it through a
// snapshot into a new engine, and checks that the new engine alerts as the
// old one would have: a new path alerts, a learned one does not.
func TestSnapshotSurvivesRestart(t *testing.T) {
	cfg := DefaultConfig()
	old := newRec(t, cfg)
	workdays(8, func(ts time.Time) {
		old.eng.Observe(userEv(ts, "alice", "read", "prod/data/app/db", 200))
		old.eng.Observe(ciRead(ts, "octo/api", "refs/heads/main", "app/db"))
	})
	var buf bytes.Buffer
	if err := old.eng.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "tok-alice") && !strings.Contains(buf.String(), "hmac-sha256:tok-alice") {
		t.Error("snapshot holds a token other than as the log's HMAC")
	}
	fresh := newRec(t, cfg)
	if err := fresh.eng.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	late := start.Add(9*day + 10*time.Hour)
	fresh.eng.Observe(userEv(late, "alice", "read", "prod/data/app/db", 200))
	fresh.eng.Observe(ciRead(late, "octo/api", "refs/heads/main", "app/db"))
	if len(fresh.alerts) != 0 {
		t.Fatalf("restored engine alerted on learned behaviour: %+v", fresh.alerts)
	}
	fresh.eng.Observe(userEv(late, "alice", "read", "prod/data/app/other", 200))
	fresh.eng.Observe(ciRead(late, "evil/repo", "refs/heads/main", "app/db"))
	if fresh.count(DetFirstRead) != 1 || fresh.count(DetNewCIContext) != 1 {
		t.Fatalf("restored engine lost its baseline: %+v", fresh.alerts)
	}
	// A second snapshot of the restored engine equals a snapshot of the
	// original after the same events.
	if fresh.eng.Stats().Events != old.eng.Stats().Events+4 {
		t.Errorf("counters not restored: %d events", fresh.eng.Stats().Events)
	}
}

func TestRestoreRefusesBadSnapshots(t *testing.T) {
	eng := NewEngine(DefaultConfig(), Options{})
	eng.Observe(userEv(start, "alice", "read", "prod/data/app/db", 200))
	for _, bad := range []string{``, `{`, `[]`, `{"version":2}`, `{"version":1,"extra":1}`, `{"version":1,"identities":"x"}`} {
		err := eng.Restore(strings.NewReader(bad))
		if !errors.Is(err, ErrSnapshot) {
			t.Errorf("Restore(%q) = %v, want ErrSnapshot", bad, err)
		}
	}
	if eng.Stats().Events != 1 || eng.ids.Len() != 1 {
		t.Error("a refused snapshot changed the engine")
	}
}

func TestSaveAndLoadFile(t *testing.T) {
	path := t.TempDir() + "/detect.json"
	eng := NewEngine(DefaultConfig(), Options{})
	if err := eng.LoadFile(path); err != nil {
		t.Fatalf("a missing snapshot is a fresh start, got %v", err)
	}
	eng.Observe(userEv(start, "alice", "read", "prod/data/app/db", 200))
	if err := eng.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	again := NewEngine(DefaultConfig(), Options{})
	if err := again.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if again.ids.Len() != 1 {
		t.Fatal("LoadFile lost the identity")
	}
}
