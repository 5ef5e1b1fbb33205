package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wardhq/ward/client"
)

// ward token revoke --orphan revokes a token alone; its child keeps
// working, as an orphan. Without --orphan the child goes with it.
func TestTokenRevokeOrphan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := testServer(t)
	if err := root.Do(ctx, "PUT", "sys/policies/acl/maker", map[string]any{"policy": "rules:\n  - path: auth/token/create\n    capabilities: [create]\n"}, nil); err != nil {
		t.Fatal(err)
	}
	family := func() (parent, child *client.Auth) {
		parent, err := root.CreateToken(ctx, client.TokenRequest{Env: "staging", Policies: []string{"maker"}})
		if err != nil {
			t.Fatal(err)
		}
		if child, err = root.WithToken(parent.ClientToken).CreateToken(ctx, client.TokenRequest{Policies: []string{"maker"}}); err != nil {
			t.Fatal(err)
		}
		return parent, child
	}
	ward := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		env := []string{"WARD_ADDR=" + root.Address(), "WARD_TOKEN=" + root.Token(), "WARD_CONFIG_DIR=" + t.TempDir()}
		if code := runCLI(args, nil, &out, &errb, env...); code != want {
			t.Fatalf("ward %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}
	alive := func(a *client.Auth) (bool, bool) {
		info, err := root.WithToken(a.ClientToken).LookupSelf(ctx)
		if err != nil {
			return false, false
		}
		return true, info.Orphan
	}

	parent, child := family()
	out, _ := ward(0, "token", "revoke", "--accessor", parent.Accessor, "--orphan", "--format", "json")
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || res["revoked"] != true || res["orphan"] != true {
		t.Fatalf("revoke --orphan --format json: %v %s", err, out)
	}
	if ok, _ := alive(parent); ok {
		t.Error("the parent still works after revoke --orphan")
	}
	if ok, orphan := alive(child); !ok || !orphan {
		t.Errorf("the child after its parent's revoke --orphan: works %v, orphan %v; want both", ok, orphan)
	}

	parent, child = family()
	out, _ = ward(0, "token", "revoke", "--accessor", parent.Accessor)
	if !strings.Contains(out, "with its children") {
		t.Errorf("revoke: %s", out)
	}
	if ok, _ := alive(child); ok {
		t.Error("the child survived a plain revoke of its parent")
	}

	_, errOut := ward(2, "token", "revoke", "--self", "--orphan")
	if !strings.Contains(errOut, "--orphan takes --accessor") || !strings.Contains(errOut, "hint:") {
		t.Errorf("--self --orphan: %s", errOut)
	}
}
