package vault

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
)

// Users and TOTP secrets are sealed by the barrier, survive a seal and
// unseal, and DeleteUser takes the user's enrolment with it.
func TestUsersAndTOTP(t *testing.T) {
	ctx := context.Background()
	v, _ := newTestVault(t)
	users, err := v.users()
	if err != nil {
		t.Fatal(err)
	}
	enrolments, _ := v.enrolments()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := users.Put(ctx, &userpass.User{Name: "alice", PasswordHash: "$argon2id$hash-canary", Policies: []string{"p"}}); err != nil {
		t.Fatal(err)
	}
	if err := enrolments.Put(ctx, &totp.Enrolment{Identity: "userpass/alice", Secret: secret, Confirmed: true}); err != nil {
		t.Fatal(err)
	}
	raw := v.cfg.Storage
	var all []string
	var walk func(prefix string)
	walk = func(prefix string) {
		ks, _ := raw.List(ctx, prefix)
		for _, k := range ks {
			if k[len(k)-1] == '/' {
				walk(prefix + k)
				continue
			}
			all = append(all, prefix+k)
		}
	}
	walk("")
	if len(all) == 0 {
		t.Fatal("found nothing in storage")
	}
	for _, k := range all {
		e, err := raw.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(e.Value, []byte(secret)) || bytes.Contains(e.Value, []byte("hash-canary")) {
			t.Fatalf("storage key %s holds a TOTP secret or password hash in the clear", k)
		}
	}

	if err := v.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Get(ctx, "alice"); !errors.Is(err, userpass.ErrUserNotFound) {
		t.Fatalf("user after DeleteUser: %v", err)
	}
	if _, err := enrolments.Get(ctx, "userpass/alice"); !errors.Is(err, totp.ErrNotEnrolled) {
		t.Fatalf("enrolment after DeleteUser: %v", err)
	}
	v.Seal()
	if _, err := v.users(); !errors.Is(err, ErrSealed) {
		t.Fatalf("Users while sealed: %v", err)
	}
}
