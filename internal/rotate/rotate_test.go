package rotate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/lease/leasetest"
	"github.com/wardhq/ward/internal/rotate"
	"github.com/wardhq/ward/internal/rotate/rotatetest"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
)

type fixture struct {
	clock  *leasetest.Clock
	store  *rotatetest.Store
	target *rotatetest.Target
	users  *rotatetest.Consumers
	mu     sync.Mutex
	events []rotate.Event // guarded by mu
}

func newFixture(single bool) *fixture {
	f := &fixture{clock: leasetest.NewClock(t0), store: rotatetest.NewStore(), target: rotatetest.NewTarget(single), users: rotatetest.NewConsumers()}
	f.store.Now = f.clock.Now
	return f
}

// rotator returns a Rotator over the fixture, its store and target
// wrapped by wrap when not nil.
func (f *fixture) rotator(c *rotatetest.Crasher) *rotate.Rotator {
	var store rotate.Store = f.store
	var target rotate.Target = f.target
	if c != nil {
		store, target = c.Store(store), c.Target(target)
	}
	return rotate.New(rotate.Config{
		Store: store, Consumers: f.users, Now: f.clock.Now,
		Targets: func(*rotate.Secret) rotate.Target { return target },
		Events: func(ev rotate.Event) {
			f.mu.Lock()
			f.events = append(f.events, ev)
			f.mu.Unlock()
		},
	})
}

var dbPassword = map[string]any{"username": "app", "password": "initial-password-0001"}

func (f *fixture) seed(path string, meta rotate.Meta) int {
	v := f.store.Put("prod", path, meta, dbPassword)
	f.target.Seed("prod", path, dbPassword)
	return v
}

// mustHold checks the invariant: the current version is valid at the
// target, and no rotation is left half-way.
func (f *fixture) mustHold(t *testing.T, path string) *rotate.Secret {
	t.Helper()
	s, err := f.store.Read(ctx, "prod", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.target.Verify(ctx, s, s.Data); err != nil {
		t.Fatalf("current version %d is not valid at the target: %v", s.Version, err)
	}
	if rec, err := f.store.Record(ctx, "prod", path); err == nil && rec.State != rotate.StateCurrent {
		t.Fatalf("a rotation is left in state %s", rec.State)
	}
	return s
}

func TestRotateWithOverlap(t *testing.T) {
	f := newFixture(false)
	f.seed("db", rotate.Meta{Type: "password", Overlap: time.Hour})
	r := f.rotator(nil)
	res, err := r.Rotate(ctx, "prod", "db", rotate.Options{Reason: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Record.From != 1 || res.Record.To != 2 || res.OldRetired {
		t.Fatalf("record %+v retired %v", res.Record, res.OldRetired)
	}
	s := f.mustHold(t, "db")
	if s.Version != 2 || s.Data["username"] != "app" || s.Data["password"] == dbPassword["password"] {
		t.Fatalf("version %d", s.Version)
	}
	// During the overlap both values work.
	if err := f.target.Verify(ctx, s, dbPassword); err != nil {
		t.Fatalf("old value refused during the overlap: %v", err)
	}
	f.clock.Advance(59 * time.Minute)
	if n, err := r.Finish(ctx); err != nil || n != 0 {
		t.Fatalf("Finish before the overlap ended: %d, %v", n, err)
	}
	f.clock.Advance(time.Minute)
	if n, err := r.Finish(ctx); err != nil || n != 1 {
		t.Fatalf("Finish at the overlap's end: %d, %v", n, err)
	}
	if err := f.target.Verify(ctx, s, dbPassword); err == nil {
		t.Fatal("old value still valid after retirement")
	}
	if got := f.store.Versions("prod", "db"); !slices.Equal(got, []int{2}) {
		t.Fatalf("versions left %v; want [2]", got)
	}
	kinds := []rotate.EventKind{}
	for _, ev := range f.events {
		kinds = append(kinds, ev.Kind)
	}
	if !slices.Equal(kinds, []rotate.EventKind{rotate.EventRotated, rotate.EventRetired}) {
		t.Fatalf("events %v", kinds)
	}
}

func TestRetiredWhenEveryRecipientReadTheNewVersion(t *testing.T) {
	f := newFixture(false)
	f.seed("db", rotate.Meta{Type: "password", Recipients: []string{"api", "worker"}})
	r := f.rotator(nil)
	if _, err := r.Rotate(ctx, "prod", "db", rotate.Options{}); err != nil {
		t.Fatal(err)
	}
	f.users.Read("prod", "db", "api", 2)
	f.users.Read("prod", "db", "worker", 1)
	f.users.Read("prod", "db", "laptop", 1) // not a recipient
	st, err := r.Status(ctx, "prod", "db")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Holders, []string{"laptop", "worker"}) || st.Due {
		t.Fatalf("status %+v", st)
	}
	if n, _ := r.Finish(ctx); n != 0 {
		t.Fatal("retired while a recipient holds the old version")
	}
	f.users.Read("prod", "db", "worker", 2)
	if n, err := r.Finish(ctx); err != nil || n != 1 {
		t.Fatalf("Finish once every recipient moved: %d, %v", n, err)
	}
}

func TestNoOverlapRetiresAndVerifiesAtOnce(t *testing.T) {
	f := newFixture(false)
	f.seed("db", rotate.Meta{Type: "password"})
	res, err := f.rotator(nil).Rotate(ctx, "prod", "db", rotate.Options{NoOverlap: true, DrillID: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OldRetired || res.Verified != "new works, old dead" {
		t.Fatalf("result %+v", res)
	}
	if f.target.Valid("prod", "db") != 1 {
		t.Fatal("the target holds more than the new value")
	}
}

func TestTargetDownKeepsOldCurrent(t *testing.T) {
	f := newFixture(false)
	f.seed("db", rotate.Meta{Type: "password"})
	f.target.SetDown(true)
	_, err := f.rotator(nil).Rotate(ctx, "prod", "db", rotate.Options{})
	if !errors.Is(err, rotate.ErrTarget) {
		t.Fatalf("got %v; want ErrTarget", err)
	}
	f.target.SetDown(false)
	s := f.mustHold(t, "db")
	if s.Version != 1 || !slices.Equal(f.store.Versions("prod", "db"), []int{1}) {
		t.Fatalf("version %d, versions %v", s.Version, f.store.Versions("prod", "db"))
	}
	if _, err := f.store.Record(ctx, "prod", "db"); !errors.Is(err, rotate.ErrNotFound) {
		t.Fatal("a record is left")
	}
}

func TestNeedsPerson(t *testing.T) {
	f := newFixture(false)
	f.store.Put("prod", "tls", rotate.Meta{Type: "tls", Owner: "team-edge"}, map[string]any{"cert": "x", "key": "y"})
	_, err := f.rotator(nil).Rotate(ctx, "prod", "tls", rotate.Options{})
	if !errors.Is(err, rotate.ErrNeedsPerson) {
		t.Fatalf("got %v", err)
	}
	if len(f.events) != 1 || f.events[0].Kind != rotate.EventNeedsPerson || f.events[0].Owner != "team-edge" {
		t.Fatalf("events %+v", f.events)
	}
}

// concurrentWriter writes a new version just before the rotation's
// MakeCurrent.
type concurrentWriter struct {
	rotate.Store
	write func()
}

func (c *concurrentWriter) MakeCurrent(ctx context.Context, env, path string, from, to int) error {
	c.write()
	return c.Store.MakeCurrent(ctx, env, path, from, to)
}

func TestConcurrentWriterIsNeverLost(t *testing.T) {
	f := newFixture(false)
	f.seed("db", rotate.Meta{Type: "password"})
	theirs := map[string]any{"username": "app", "password": "written-by-a-person-42"}
	r := rotate.New(rotate.Config{Store: &concurrentWriter{f.store, func() {
		f.store.Put("prod", "db", rotate.Meta{Type: "password"}, theirs)
		f.target.Apply(ctx, &rotate.Secret{Env: "prod", Path: "db"}, nil, theirs)
	}}, Now: f.clock.Now, Targets: func(*rotate.Secret) rotate.Target { return f.target }})
	_, err := r.Rotate(ctx, "prod", "db", rotate.Options{})
	if !errors.Is(err, rotate.ErrConflict) {
		t.Fatalf("got %v; want ErrConflict", err)
	}
	s := f.mustHold(t, "db")
	if s.Data["password"] != theirs["password"] {
		t.Fatal("the other writer's value was lost")
	}
	if _, err := f.store.Version(ctx, "prod", "db", 2); !errors.Is(err, rotate.ErrNotFound) {
		t.Fatal("the rotation's pending version is left")
	}
}

func TestSecondRotationRetiresTheFirstsOldVersion(t *testing.T) {
	f := newFixture(false)
	f.seed("db", rotate.Meta{Type: "api-token"})
	f.store.Put("prod", "db", rotate.Meta{Type: "api-token"}, map[string]any{"token": "0123456789abcdef0123"})
	f.target.Seed("prod", "db", map[string]any{"token": "0123456789abcdef0123"})
	r := f.rotator(nil)
	for range 2 {
		if _, err := r.Rotate(ctx, "prod", "db", rotate.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.store.Versions("prod", "db"); !slices.Equal(got, []int{1, 3, 4}) {
		// version 1 was a user's and not rotated; 2 retired by the
		// second rotation; 3 in its overlap; 4 current.
		t.Fatalf("versions %v", got)
	}
	if _, err := r.Rotate(ctx, "prod", "nope", rotate.Options{}); !errors.Is(err, rotate.ErrNotFound) {
		t.Fatalf("missing secret: %v", err)
	}
}

// TestCrashAtEveryStep abandons a rotation at each changing call, before
// and after the call takes effect, then recovers and checks that the old
// or the new value is current and valid at the target.
func TestCrashAtEveryStep(t *testing.T) {
	for _, single := range []bool{false, true} {
		for _, noOverlap := range []bool{false, true} {
			// Count the calls of a whole rotation.
			f := newFixture(single)
			f.seed("db", rotate.Meta{Type: "password"})
			counter := &rotatetest.Crasher{At: -1}
			if _, err := f.rotator(counter).Rotate(ctx, "prod", "db", rotate.Options{NoOverlap: noOverlap}); err != nil {
				t.Fatal(err)
			}
			steps := counter.Calls()
			if steps < 3 {
				t.Fatalf("only %d changing calls", steps)
			}
			for k := 1; k <= steps; k++ {
				for _, after := range []bool{false, true} {
					name := fmt.Sprintf("single=%v/nooverlap=%v/call%d/after=%v", single, noOverlap, k, after)
					t.Run(name, func(t *testing.T) {
						f := newFixture(single)
						f.seed("db", rotate.Meta{Type: "password"})
						c := &rotatetest.Crasher{At: k, After: after}
						_, err := f.rotator(c).Rotate(ctx, "prod", "db", rotate.Options{NoOverlap: noOverlap})
						if !c.Crashed() || !errors.Is(err, rotatetest.ErrCrash) {
							t.Fatalf("crash at %d did not happen: %v", k, err)
						}
						if err := f.rotator(nil).Recover(ctx); err != nil {
							t.Fatal(err)
						}
						s := f.mustHold(t, "db")
						want := 1
						if s.Version != 1 {
							want = 2
						}
						if s.Version != want {
							t.Fatalf("current version %d", s.Version)
						}
						if noOverlap && s.Version == 2 {
							if _, err := f.store.Record(ctx, "prod", "db"); err == nil {
								t.Fatal("a drill's old version survives recovery")
							}
							if f.target.Valid("prod", "db") != 1 {
								t.Fatal("a drill's old value is still valid at the target")
							}
						}
						if s.Version == 1 && !slices.Equal(f.store.Versions("prod", "db"), []int{1}) {
							t.Fatalf("rolled back but versions %v are left", f.store.Versions("prod", "db"))
						}
						// A second Recover changes nothing; a new rotation works.
						if err := f.rotator(nil).Recover(ctx); err != nil {
							t.Fatal(err)
						}
						if _, err := f.rotator(nil).Rotate(ctx, "prod", "db", rotate.Options{}); err != nil {
							t.Fatalf("rotation after recovery: %v", err)
						}
						f.mustHold(t, "db")
					})
				}
			}
		}
	}
}
