package lease_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/lease"
)

// FuzzLeaseIDs: whatever id or prefix a caller sends, the Manager answers
// with ErrInvalid, ErrNotFound or ErrPermissionDenied, never a panic, and
// touches no lease it should not.
func FuzzLeaseIDs(f *testing.F) {
	for _, s := range []string{"staging/database/creds/app/x", "", "/", "staging", "staging//x", "../../etc", "staging/database/creds/app/", "a/\x00/b", "ß/ü", "staging/database/creds/app/x/../y"} {
		f.Add(s, int64(0))
	}
	fx := newFixture(f)
	kept := fx.issue(req(staging, "app", "tokA"))
	f.Fuzz(func(t *testing.T, id string, inc int64) {
		who := lease.Caller{Token: "intruder", EnvID: staging.ID}
		check := func(what string, err error) {
			if err == nil || !(errors.Is(err, lease.ErrInvalid) || errors.Is(err, lease.ErrNotFound) || errors.Is(err, lease.ErrPermissionDenied)) {
				t.Fatalf("%s(%q): %v", what, id, err)
			}
		}
		_, err := fx.m.Lookup(ctx, who, id)
		check("Lookup", err)
		_, _, err = fx.m.Renew(ctx, who, id, time.Duration(inc))
		if !errors.Is(err, lease.ErrInvalid) {
			check("Renew", err)
		}
		check("Revoke", fx.m.Revoke(ctx, who, id))
		if _, err := fx.m.List(ctx, who, id); err != nil && !errors.Is(err, lease.ErrInvalid) {
			t.Fatalf("List(%q): %v", id, err)
		}
		if _, err := fx.m.RevokePrefix(ctx, who, id); !errors.Is(err, lease.ErrPermissionDenied) {
			t.Fatalf("RevokePrefix(%q) by a non-admin: %v", id, err)
		}
		if fx.rev.count(kept.ID) != 0 {
			t.Fatalf("%q reached another token's lease", id)
		}
	})
}
