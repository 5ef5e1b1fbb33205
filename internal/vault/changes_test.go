package vault

import (
	"reflect"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// Each key another server changes makes stale exactly the cache that
// holds it (a KV metadata record: the metadata cache; a lease record: the
// lease manager); keys no cache holds (secrets' versions, usage, lockouts)
// make nothing stale, and All makes everything stale.
func TestStaleFromChangedKeys(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want stale
	}{
		{"sys/token/id/abc", stale{tokens: []string{"id/abc"}}},
		{"sys/token/parent/abc/def", stale{tokens: []string{"parent/abc/def"}}},
		{"sys/envs/prod", stale{envs: true}},
		{"sys/policies/deploy", stale{policies: true}},
		{"sys/types/postgres-url", stale{types: true}},
		{"sys/envrules/prod", stale{envRules: true}},
		{"sys/auth/jwt/config", stale{jwt: true}},
		{"sys/auth/jwt/role/ci", stale{jwt: true}},
		{"sys/alerts-config", stale{alerts: true}},
		{"env/0a1b/kv/config", stale{kvConfigs: []string{"0a1b"}}},
		{"env/0a1b/kv/m/payments/config", stale{kvKeys: map[string][]string{"0a1b": {"m/payments/config"}}}},
		{"env/0a1b/kv/v/payments/db/00000000000000000001", stale{}},
		{"env/0a1b/usage/payments/db", stale{}},
		{"env/0a1b/leases/database/creds/app/Xy12", stale{leases: map[string][]string{"0a1b": {"database/creds/app/Xy12"}}}},
		{"env/0a1b/leases/", stale{}},
		{"sys/lockout/userpass/alice", stale{}},
		{"sys/mfa/used/userpass/alice", stale{}},
	} {
		var got stale
		got.add(storage.Change{Keys: []string{tc.key}})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: stale %+v, want %+v", tc.key, got, tc.want)
		}
		if got.empty() != reflect.DeepEqual(tc.want, stale{}) {
			t.Errorf("%s: empty() = %v", tc.key, got.empty())
		}
	}
	var all stale
	all.add(storage.Change{All: true})
	if want := (stale{envs: true, policies: true, types: true, envRules: true, jwt: true, alerts: true, allTokens: true, kvAll: true, allLeases: true}); !reflect.DeepEqual(all, want) {
		t.Errorf("All: stale %+v", all)
	}
}
