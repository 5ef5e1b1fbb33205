package barrier

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
	"github.com/wardhq/ward/internal/storage/storagetest"
)

var ctx = context.Background()

// fixture is an initialized store and the shares that open it.
type fixture struct {
	mem    *memory.Backend
	shares [][]byte
	max    uint64
}

// newFixture initializes a barrier with 3 shares, threshold 2.
func newFixture(t testing.TB, max uint64) *fixture {
	t.Helper()
	f := &fixture{mem: memory.New(), max: max}
	shares, err := f.barrier().Init(ctx, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	f.shares = shares
	return f
}

// barrier returns a new, sealed barrier over the fixture's store, as after a
// restart.
func (f *fixture) barrier() *Barrier {
	return New(Config{Storage: f.mem, MaxEncryptionsPerTerm: f.max, KeyringOf: envLayout})
}

// envLayout is the vault's key layout, which these tests use: a value
// under env/<id>/ is sealed with environment <id>'s keyring.
func envLayout(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "env/")
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "/")
	return id, ok
}

// open returns a new barrier over the store, unsealed.
func (f *fixture) open(t testing.TB) *Barrier {
	t.Helper()
	b := f.barrier()
	unseal(t, b, f.shares[2], f.shares[0])
	return b
}

func unseal(t testing.TB, b *Barrier, shares ...[]byte) {
	t.Helper()
	for _, s := range shares {
		if _, err := b.Unseal(ctx, s); err != nil {
			t.Fatalf("Unseal: %v", err)
		}
	}
	if st, _ := b.Status(ctx); st.Sealed {
		t.Fatalf("still sealed after %d shares: %+v", len(shares), st)
	}
}

func put(t testing.TB, b storage.Backend, key, value string) {
	t.Helper()
	if err := b.Put(ctx, &storage.Entry{Key: key, Value: []byte(value)}); err != nil {
		t.Fatalf("Put %q: %v", key, err)
	}
}

func get(t testing.TB, b storage.Backend, key string) string {
	t.Helper()
	e, err := b.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get %q: %v", key, err)
	}
	return string(e.Value)
}

// TestConformance runs the storage contract through an unsealed barrier, with
// a small MaxEncryptionsPerTerm so that rotations happen during it.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return newFixture(t, 7).open(t)
	})
}

func TestInitTwice(t *testing.T) {
	f := newFixture(t, 0)
	if _, err := f.barrier().Init(ctx, 1, 1); !errors.Is(err, ErrAlreadyInitialized) {
		t.Fatalf("second Init = %v, want ErrAlreadyInitialized", err)
	}
	if _, err := f.open(t).Init(ctx, 3, 2); !errors.Is(err, ErrAlreadyInitialized) {
		t.Fatalf("Init on an unsealed barrier = %v, want ErrAlreadyInitialized", err)
	}
}

func TestInitRefusesBadCounts(t *testing.T) {
	for _, c := range [][2]int{{0, 0}, {3, 0}, {3, 4}, {256, 2}} {
		if _, err := New(Config{Storage: memory.New()}).Init(ctx, c[0], c[1]); err == nil {
			t.Errorf("Init(%d, %d) succeeded", c[0], c[1])
		}
	}
}

func TestBeforeInit(t *testing.T) {
	b := New(Config{Storage: memory.New()})
	if ok, err := b.Initialized(ctx); ok || err != nil {
		t.Fatalf("Initialized = %v, %v", ok, err)
	}
	if _, err := b.Unseal(ctx, make([]byte, 33)); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("Unseal before Init = %v, want ErrNotInitialized", err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrSealed) {
		t.Fatalf("Get before Init = %v, want ErrSealed", err)
	}
	st, err := b.Status(ctx)
	if err != nil || st.Initialized || !st.Sealed {
		t.Fatalf("Status = %+v, %v", st, err)
	}
}

func TestInitLeavesSealedWithStatus(t *testing.T) {
	f := newFixture(t, 0)
	b := f.barrier()
	st, err := b.Status(ctx)
	want := SealStatus{Initialized: true, Sealed: true, Threshold: 2, Shares: 3}
	if err != nil || st != want {
		t.Fatalf("Status = %+v, %v; want %+v", st, err, want)
	}
	if len(f.shares) != 3 {
		t.Fatalf("%d shares", len(f.shares))
	}
	st, err = b.Unseal(ctx, f.shares[1])
	if want.Progress = 1; err != nil || st != want {
		t.Fatalf("after one share: %+v, %v; want %+v", st, err, want)
	}
	st, err = b.Unseal(ctx, f.shares[1])
	if err != nil || st != want {
		t.Fatalf("the same share again: %+v, %v; want %+v", st, err, want)
	}
	st, err = b.Unseal(ctx, f.shares[2])
	want = SealStatus{Initialized: true, Threshold: 2, Shares: 3, Term: 1, InstallTime: st.InstallTime}
	if err != nil || st != want || st.InstallTime.IsZero() {
		t.Fatalf("after two shares: %+v, %v; want %+v", st, err, want)
	}
}

func TestEverySharePairUnseals(t *testing.T) {
	f := newFixture(t, 0)
	put(t, f.open(t), "k", "v")
	for i := range f.shares {
		for j := range f.shares {
			if i != j {
				b := f.barrier()
				unseal(t, b, f.shares[i], f.shares[j])
				if got := get(t, b, "k"); got != "v" {
					t.Fatalf("shares %d,%d read %q", i, j, got)
				}
			}
		}
	}
}

func TestBadShares(t *testing.T) {
	f := newFixture(t, 0)
	other := newFixture(t, 0)
	flipped := append([]byte(nil), f.shares[1]...)
	flipped[0] ^= 1
	cases := map[string][][]byte{
		"share of another store": {f.shares[0], other.shares[1]},
		"altered share":          {f.shares[0], flipped},
	}
	for name, shares := range cases {
		t.Run(name, func(t *testing.T) {
			b := f.barrier()
			if _, err := b.Unseal(ctx, shares[0]); err != nil {
				t.Fatal(err)
			}
			st, err := b.Unseal(ctx, shares[1])
			if !errors.Is(err, ErrBadShares) {
				t.Fatalf("Unseal = %v, want ErrBadShares", err)
			}
			if !st.Sealed || st.Progress != 0 {
				t.Fatalf("status after bad shares = %+v, want sealed with no progress", st)
			}
			if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrSealed) {
				t.Fatalf("Get = %v, want ErrSealed", err)
			}
			// Progress was reset: the right shares now open it.
			unseal(t, b, f.shares[0], f.shares[2])
		})
	}
}

func TestTooFewShares(t *testing.T) {
	f := newFixture(t, 0)
	b := f.barrier()
	st, err := b.Unseal(ctx, f.shares[0])
	if err != nil || !st.Sealed || st.Progress != 1 {
		t.Fatalf("one share of two: %+v, %v", st, err)
	}
	if err := b.Put(ctx, &storage.Entry{Key: "k", Value: []byte("v")}); !errors.Is(err, ErrSealed) {
		t.Fatalf("Put = %v, want ErrSealed", err)
	}
	b.ResetUnseal()
	if st, _ := b.Status(ctx); st.Progress != 0 {
		t.Fatalf("progress after ResetUnseal = %d", st.Progress)
	}
}

func TestMalformedShareKeepsProgress(t *testing.T) {
	f := newFixture(t, 0)
	b := f.barrier()
	if _, err := b.Unseal(ctx, f.shares[0]); err != nil {
		t.Fatal(err)
	}
	for _, s := range [][]byte{nil, {1, 2}, make([]byte, 33), make([]byte, 34)} {
		st, err := b.Unseal(ctx, s)
		if !errors.Is(err, ErrBadShares) || st.Progress != 1 {
			t.Fatalf("malformed share of %d bytes: %+v, %v", len(s), st, err)
		}
	}
	unseal(t, b, f.shares[1])
}

func TestSealStopsEveryOp(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	put(t, b, "k", "v")
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	put(t, b, "env/prod/k", "p")
	b.Seal()
	ops := map[string]error{
		"Get":           func() error { _, err := b.Get(ctx, "k"); return err }(),
		"Get env":       func() error { _, err := b.Get(ctx, "env/prod/k"); return err }(),
		"Put":           b.Put(ctx, &storage.Entry{Key: "k", Value: []byte("w")}),
		"Delete":        b.Delete(ctx, "k"),
		"List":          func() error { _, err := b.List(ctx, ""); return err }(),
		"Transaction":   b.Transaction(ctx, []storage.Op{{Kind: storage.OpPut, Key: "k", Value: []byte("w")}}),
		"Rotate":        func() error { _, err := b.Rotate(ctx); return err }(),
		"CreateEnvKey":  b.CreateEnvKey(ctx, "dev"),
		"DestroyEnvKey": b.DestroyEnvKey(ctx, "prod"),
	}
	for name, err := range ops {
		if !errors.Is(err, ErrSealed) {
			t.Errorf("%s after Seal = %v, want ErrSealed", name, err)
		}
	}
	if st, _ := b.Status(ctx); !st.Sealed || st.Term != 0 {
		t.Fatalf("Status after Seal = %+v", st)
	}
	unseal(t, b, f.shares[0], f.shares[1])
	if get(t, b, "k") != "v" || get(t, b, "env/prod/k") != "p" {
		t.Fatal("data changed across Seal")
	}
}

func TestSealZeroizesKeys(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	u := b.open
	var keys [][]byte
	keys = append(keys, u.root.key)
	for _, s := range []*scope{u.system, envScopeOf(t, u, "prod")} {
		for _, tk := range s.ring.Load().terms {
			keys = append(keys, tk.key)
		}
	}
	b.Seal()
	for i, k := range keys {
		for _, c := range k {
			if c != 0 {
				t.Fatalf("key %d not zeroized after Seal", i)
			}
		}
	}
}

func TestReservedKeys(t *testing.T) {
	b := newFixture(t, 0).open(t)
	ops := map[string]error{
		"Get":         func() error { _, err := b.Get(ctx, "core/keyring"); return err }(),
		"Put":         b.Put(ctx, &storage.Entry{Key: "core/keyring", Value: nil}),
		"Delete":      b.Delete(ctx, "core/seal-config"),
		"List":        func() error { _, err := b.List(ctx, "core/"); return err }(),
		"Transaction": b.Transaction(ctx, []storage.Op{{Kind: storage.OpDelete, Key: "core/env/prod"}}),
	}
	for name, err := range ops {
		if !errors.Is(err, ErrReserved) {
			t.Errorf("%s on core/ = %v, want ErrReserved", name, err)
		}
	}
	put(t, b, "corefile", "v")
	names, err := b.List(ctx, "co")
	if err != nil || len(names) != 1 || names[0] != "refile" {
		t.Fatalf(`List("co") = %q, %v; want only "refile"`, names, err)
	}
}
