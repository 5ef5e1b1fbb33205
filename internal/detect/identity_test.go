package detect

import "testing"

// TestIdentityMemo: the memo gives every event of a mixed sequence the
// identity identify gives it, whichever event came before.
func TestIdentityMemo(t *testing.T) {
	ci := ciRead(start, "octo/api", "refs/heads/main", "a")
	fork := *ci
	fork.Repository = "evil/fork"
	pr := *ci
	pr.Ref = "refs/pull/7/merge"
	user := userEv(start, "alice", "read", "prod/data/a", 200)
	pass := *user
	pass.Identity, pass.User = "", "alice"
	tok := Event{Identity: "svc", Token: "hmac-sha256:aaaaaaaaaaaaaaaa", RemoteAddr: "10.0.0.1:1"}
	acc := tok
	acc.Accessor = "hmac-sha256:bbbbbbbbbbbbbbbb"
	anon := Event{RemoteAddr: "10.0.0.1:1"}
	anon2 := Event{RemoteAddr: "10.0.0.2:1"}
	anonSameHost := Event{RemoteAddr: "10.0.0.1:2"}
	events := []*Event{ci, ci, &fork, ci, &pr, user, &pass, &tok, &acc, &tok, &anon, &anon2, &anonSameHost, &anon, &tok, ci}
	groups := [][]string{nil, {"refs/pull/*"}}
	var m idMemo
	for _, g := range groups {
		for i, ev := range events {
			want := identify(ev, g)
			if got := m.identify(ev, g); got != want {
				t.Errorf("groups %v, event %d: memo gave %+v, want %+v", g, i, got, want)
			}
		}
		m = idMemo{} // as SetConfig does
	}
}
