package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/auth/totp"
)

// ward mfa confirm takes the current code: it says so, and a command given
// that same code in WARD_MFA is told to wait for the next one, not merely
// "already used".
func TestMFAConfirmUsesTheCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := testServer(t)
	if err := root.PutPolicy(ctx, "ops", []byte("rules:\n  - path: staging/*\n    capabilities: [create, update, read, destroy]\n")); err != nil {
		t.Fatal(err)
	}
	pw := "correct horse battery"
	if err := root.PutUser(ctx, "alice", client.UserRequest{Password: &pw, Policies: []string{"ops"}}); err != nil {
		t.Fatal(err)
	}
	a, err := root.WithToken("").Login(ctx, "alice", pw, "staging")
	if err != nil {
		t.Fatal(err)
	}
	alice := root.WithToken(a.ClientToken)
	if _, err := alice.KV("staging").Put(ctx, "old", map[string]any{"k": "v"}, nil); err != nil {
		t.Fatal(err)
	}
	en, err := alice.EnrollTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.Code(en.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"WARD_ADDR=" + root.Address(), "WARD_TOKEN=" + a.ClientToken, "WARD_MFA=" + code}

	var out, errb bytes.Buffer
	if c := runCLI([]string{"mfa", "confirm"}, nil, &out, &errb, env...); c != 0 {
		t.Fatalf("confirm: exit %d: %s", c, errb.String())
	}
	if !strings.Contains(out.String(), "This code is now used; the next operation that needs MFA takes your app's next code (in ") {
		t.Fatalf("confirm says %q", out.String())
	}

	out.Reset()
	errb.Reset()
	c := runCLI([]string{"kv", "destroy", "--env", "staging", "--versions", "1", "old"}, nil, &out, &errb, env...)
	if c != 1 || !strings.Contains(errb.String(), "hint: the code in WARD_MFA was refused: a code works once (also the one 'ward mfa confirm' took)") {
		t.Fatalf("destroy with the used code: exit %d, stderr %q", c, errb.String())
	}
	if strings.Contains(errb.String()+out.String(), code) {
		t.Fatal("the code was printed")
	}

	// On a terminal, the used code is refused and ward asks again, saying
	// when the next one comes; the next code is taken.
	next, _ := totp.Code(en.Secret, time.Now().Add(totp.Period))
	out.Reset()
	errb.Reset()
	g := testGlobals(nil, &out, &errb, env[:2]...)
	g.tty = &lines{code + "\n", next + "\n"}
	if c := run(context.Background(), g, []string{"kv", "destroy", "--env", "staging", "--versions", "1", "old"}); c != 0 {
		t.Fatalf("destroy on a terminal: exit %d: %s", c, errb.String())
	}
	for _, want := range []string{"MFA code: ", "ward: that code was refused: ", "already used", "your app shows the next one in "} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
	if strings.Count(errb.String(), "MFA code: ") != 2 {
		t.Errorf("want two prompts:\n%s", errb.String())
	}
}

// lines is a terminal that answers one line per read.
type lines []string

func (l *lines) Read(p []byte) (int, error) {
	if len(*l) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*l)[0])
	*l = (*l)[1:]
	return n, nil
}
