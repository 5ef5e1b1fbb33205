package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestFromVaultHCL(t *testing.T) {
	src := `# the api's CI job
path "staging/data/app/*" {
  capabilities = ["read", "list"]
}
path "staging/metadata/app/*" { capabilities = ["list", "delete"] }
path "staging/destroy/app/db" {
  capabilities = ["update"]
}
path "prod/data/app+" { capabilities = ["deny"] }
path "sys/policies/acl/ci" { capabilities = ["read"] }
`
	y, err := FromVaultHCL([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("ci", y)
	if err != nil {
		t.Fatalf("translation does not parse: %v\n%s", err, y)
	}
	acl := NewACL(p)
	for _, c := range []struct {
		path string
		cap  Capability
		want bool
	}{
		{"staging/app/db", CapRead, true},
		{"staging/app/x/y", CapRead, true},
		{"staging/app/", CapList, true},
		{"staging/app/db", CapDestroy, true},
		{"staging/app/other", CapDestroy, true}, // metadata delete destroys
		{"staging/app/db", CapUpdate, false},
		{"staging/other", CapRead, false},
		{"sys/policies/acl/ci", CapRead, true},
	} {
		if got := acl.Check(c.path, c.cap).Allowed; got != c.want {
			t.Errorf("%s on %s: %v, want %v\n%s", c.cap, c.path, got, c.want, y)
		}
	}
}

func TestFromVaultHCLRefuses(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"path \"sys/seal\" {\n capabilities = [\"sudo\", \"update\"]\n}", "line 1: sudo"},
		{"\n\npath \"staging/data/x\" {\n capabilities = [\"read\"]\n allowed_parameters = {}\n}", "line 3: a block may hold only"},
		{"path \"secret/x\" { capabilities = [\"read\"] }", "not a KV v2 path"},
		{"path \"staging/data/a*b\" { capabilities = [\"read\"] }", "must end the path"},
		{"path \"staging/data/x\" { capabilities = [\"read\"] }\nfoo = 1", "line 2: only path"},
	} {
		_, err := FromVaultHCL([]byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.src, err, tt.want)
		}
	}
}

// Whatever the input, FromVaultHCL never panics, and what it accepts
// either parses as a ward policy or is refused by Parse as a bad policy.
func FuzzFromVaultHCL(f *testing.F) {
	f.Add([]byte("path \"staging/data/app/*\" { capabilities = [\"read\"] }"))
	f.Add([]byte("path \"sys/+\" {\n capabilities = [\"list\"]\n}\n# c\n"))
	f.Add([]byte("path \"\" {}"))
	f.Fuzz(func(t *testing.T, src []byte) {
		y, err := FromVaultHCL(src)
		if err != nil {
			return
		}
		if _, err := Parse("fuzz", y); err != nil && !errors.Is(err, ErrBadPolicy) {
			t.Fatalf("accepted %q, translated to %q, which does not parse: %v", src, y, err)
		}
	})
}
