package userpass

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage/memory"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "alice", want: "alice"},
		{in: "Alice", want: "alice"},
		{in: " alice ", want: "alice"},
		{in: "\talice\n", want: "alice"},
		{in: "ａｌｉｃｅ", want: "alice"},             // full-width
		{in: "\u3000ＡＬＩＣＥ\u3000", want: "alice"}, // ideographic spaces, full-width capitals
		{in: "ALİCE", bad: true},                 // dotted capital I folds to i + combining dot: not ASCII
		{in: "ſam", want: "sam"},                 // long s folds to s
		{in: "\u212Aim", want: "kim"},            // Kelvin sign
		{in: "ops.bot_1-x@corp", want: "ops.bot_1-x@corp"},
		{in: "", bad: true},
		{in: "   ", bad: true},
		{in: "al ice", bad: true},
		{in: "al/ice", bad: true},
		{in: "josé", bad: true},
		{in: "..", bad: true},
		{in: "\xff", bad: true},
		{in: strings.Repeat("a", MaxNameLen), want: strings.Repeat("a", MaxNameLen)},
		{in: strings.Repeat("a", MaxNameLen+1), bad: true},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrBadName) {
				t.Errorf("Normalize(%q) = %q, %v; want ErrBadName", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNameErrorDoesNotQuote(t *testing.T) {
	_, err := Normalize("hunter2 secret!")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v quotes the name", err)
	}
}

func TestHashRoundTrip(t *testing.T) {
	p := Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	ph, err := NewHash(Argon2id{}, nil, "correct horse", p)
	if err != nil {
		t.Fatal(err)
	}
	s := ph.String()
	if !strings.HasPrefix(s, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("PHC string %q", s)
	}
	back, err := ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Matches(Argon2id{}, "correct horse") || back.Matches(Argon2id{}, "correct horsE") {
		t.Fatal("parsed hash does not match as it should")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", s + "$", strings.Replace(s, "v=19", "v=16", 1), strings.Replace(s, "t=1", "t=0", 1), strings.Replace(s, "p=1$", "p=1x$", 1), strings.Replace(s, "m=64", "m=4194304", 1)} {
		if _, err := ParseHash(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("ParseHash(%q) = %v; want ErrBadHash", bad, err)
		}
	}
}

// countingHasher counts hash computations, to prove a missing user costs
// the same work as a present one.
type countingHasher struct{ n atomic.Int64 }

func (c *countingHasher) Hash(pw, salt []byte, p Params) []byte {
	c.n.Add(1)
	return Argon2id{}.Hash(pw, salt, p)
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

var cheap = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func setup(t *testing.T, cfg Config) (*Authenticator, *Store, *countingHasher, *fakeClock) {
	t.Helper()
	h := &countingHasher{}
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Hasher, cfg.Params, cfg.Now = h, cheap, clk.now
	a := NewAuthenticator(cfg)
	st := NewStore(memory.New())
	hash, err := a.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), &User{Name: "alice", PasswordHash: hash, Policies: []string{"dev"}}); err != nil {
		t.Fatal(err)
	}
	h.n.Store(0)
	return a, st, h, clk
}

func TestLoginSameWorkWhetherOrNotUserExists(t *testing.T) {
	a, st, h, _ := setup(t, Config{MaxFailures: 100})
	ctx := context.Background()
	tests := []struct {
		name, user, password string
		want                 error
	}{
		{"present, right password", "alice", "correct horse", nil},
		{"present, wrong password", "alice", "wrong horse", ErrBadLogin},
		{"missing user", "mallory", "correct horse", ErrBadLogin},
		{"missing user, other password", "bob", "x", ErrBadLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.n.Load()
			_, err := a.Login(ctx, st, tt.user, tt.password)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Login = %v; want %v", err, tt.want)
			}
			if n := h.n.Load() - before; n != 1 {
				t.Fatalf("Login computed %d hashes; want exactly 1 whatever the outcome", n)
			}
		})
	}
}

func TestLoginNormalisedNameIsOneUser(t *testing.T) {
	a, st, _, _ := setup(t, Config{})
	for _, name := range []string{"alice", "Alice", " alice ", "ａｌｉｃｅ", "ALICE\n"} {
		u, err := a.Login(context.Background(), st, name, "correct horse")
		if err != nil || u.Name != "alice" {
			t.Errorf("Login(%q) = %v, %v; want user alice", name, u, err)
		}
	}
}

func TestLockout(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		names []string // the forms the failures are made with
		user  string   // the form the final attempt uses
	}{
		{"same form", []string{"alice", "alice", "alice"}, "alice"},
		{"case, width and space share a counter", []string{"Alice", " alice ", "ａｌｉｃｅ"}, "ALICE"},
		{"missing user is locked the same way", []string{"Mallory", "mallory", "ｍａｌｌｏｒｙ"}, "mallory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, st, h, clk := setup(t, Config{MaxFailures: 3, Window: 15 * time.Minute})
			for _, n := range tt.names {
				if _, err := a.Login(ctx, st, n, "wrong password"); !errors.Is(err, ErrBadLogin) {
					t.Fatalf("Login(%q) = %v; want ErrBadLogin", n, err)
				}
				clk.advance(time.Minute)
			}
			before := h.n.Load()
			_, err := a.Login(ctx, st, tt.user, "correct horse")
			var le *LockedError
			if !errors.As(err, &le) {
				t.Fatalf("after 3 failures Login = %v; want *LockedError", err)
			}
			if h.n.Load() != before {
				t.Fatal("a locked login computed a hash")
			}
			if want := clk.t.Add(-3 * time.Minute).Add(15 * time.Minute); !le.Until.Equal(want) {
				t.Fatalf("locked until %v; want %v", le.Until, want)
			}
			// Another name is not affected.
			if _, err := a.Login(ctx, st, "bob", "x-password"); !errors.Is(err, ErrBadLogin) {
				t.Fatalf("other name: %v", err)
			}
			// The oldest failure leaves the window: one more try is allowed.
			clk.advance(12 * time.Minute)
			u, err := a.Login(ctx, st, tt.user, "correct horse")
			if tt.user == "mallory" {
				if !errors.Is(err, ErrBadLogin) {
					t.Fatalf("after the window Login = %v; want ErrBadLogin", err)
				}
				return
			}
			if err != nil || u.Name != "alice" {
				t.Fatalf("after the window Login = %v, %v", u, err)
			}
		})
	}
}

func TestSuccessResetsFailures(t *testing.T) {
	a, st, _, _ := setup(t, Config{MaxFailures: 3})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		a.Login(ctx, st, "alice", "wrong password")
	}
	if _, err := a.Login(ctx, st, "alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		a.Login(ctx, st, "alice", "wrong password")
	}
	if _, err := a.Login(ctx, st, "alice", "correct horse"); err != nil {
		t.Fatalf("failures before a success still counted: %v", err)
	}
}

func TestLoginRefusesBadInput(t *testing.T) {
	a, st, h, _ := setup(t, Config{})
	tests := []struct {
		name, user, password string
	}{
		{"bad name", "al ice", "correct horse"},
		{"empty password", "alice", ""},
		{"huge password", "alice", strings.Repeat("x", MaxPasswordLen+1)},
	}
	for _, tt := range tests {
		_, err := a.Login(context.Background(), st, tt.user, tt.password)
		var re *RequestError
		if !errors.Is(err, ErrBadName) && !errors.As(err, &re) {
			t.Errorf("%s: Login = %v; want a name or request error", tt.name, err)
		}
	}
	if h.n.Load() != 0 {
		t.Fatal("malformed logins computed hashes")
	}
}

func TestHashPasswordRefusesShort(t *testing.T) {
	a := NewAuthenticator(Config{Params: cheap})
	if _, err := a.HashPassword("short"); err == nil {
		t.Fatal("a 5-byte password was accepted")
	}
}

func TestStoreList(t *testing.T) {
	st := NewStore(memory.New())
	ctx := context.Background()
	for _, n := range []string{"carol", "alice", "bob"} {
		if err := st.Put(ctx, &User{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Put(ctx, &User{Name: "Dave"}); err == nil {
		t.Fatal("Put took a name that is not normalised")
	}
	names, err := st.List(ctx)
	if err != nil || strings.Join(names, ",") != "alice,bob,carol" {
		t.Fatalf("List = %v, %v", names, err)
	}
	if err := st.Delete(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "bob"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	if err := st.Delete(ctx, "bob"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("second Delete = %v", err)
	}
}

func BenchmarkLogin(b *testing.B) {
	a := NewAuthenticator(Config{MaxFailures: 1 << 30})
	st := NewStore(memory.New())
	hash, _ := a.HashPassword("correct horse")
	st.Put(context.Background(), &User{Name: "alice", PasswordHash: hash})
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Login(context.Background(), st, "alice", "correct horse"); err != nil {
			b.Fatal(err)
		}
	}
}

// A user's policies are checked where the user is stored, whoever stores it:
// root and names that are not canonical are refused.
func TestPutRefusesPolicyNames(t *testing.T) {
	st := NewStore(memory.New())
	for _, p := range []string{"root", "Root", " dev", "dev ", "d ev", "dev\x00", "DEV", ""} {
		err := st.Put(context.Background(), &User{Name: "alice", Policies: []string{"dev", p}})
		var re *RequestError
		if !errors.As(err, &re) || re.Field != "token_policies" {
			t.Errorf("Put with policy %q = %v, want a RequestError on token_policies", p, err)
		}
	}
	if _, err := st.Get(context.Background(), "alice"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("a refused user was stored: %v", err)
	}
}
