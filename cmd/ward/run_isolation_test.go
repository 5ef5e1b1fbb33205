package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
)

// An isolated ward run starts ward's binary a second time as the
// namespace's init (package job/sandbox), which must not pay for the
// package inits it does not need: its init runs before encoding/json's,
// which waits for strings and strconv, and before jsonschema's, which
// compiles meta-schemas. GODEBUG=inittrace=1 on this test binary, which
// links the same packages as ward, prints the order.
func TestSandboxInitRunsBeforeCostlyInits(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var order []string
	for _, m := range regexp.MustCompile(`(?m)^init (\S+) @`).FindAllSubmatch(out, -1) {
		order = append(order, string(m[1]))
	}
	at := func(pkg string) int {
		i := slices.Index(order, pkg)
		if i < 0 {
			t.Fatalf("no init of %s in the trace:\n%s", pkg, out)
		}
		return i
	}
	sandbox := at("github.com/wardhq/ward/internal/job/sandbox")
	for _, later := range []string{"encoding/json", "github.com/santhosh-tekuri/jsonschema/v6"} {
		if at(later) < sandbox {
			t.Errorf("the sandbox's init is number %d, after %s's (number %d)", sandbox, later, at(later))
		}
	}
	// Collection is off before the package that allocates most at init.
	if gc, schema := at("github.com/wardhq/ward/internal/startgc"), at("github.com/santhosh-tekuri/jsonschema/v6"); gc > schema {
		t.Errorf("startgc's init is number %d, after jsonschema's (number %d)", gc, schema)
	}
}
