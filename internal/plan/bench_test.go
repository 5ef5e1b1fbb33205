package plan

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLoadExample reads the example directory: what every ward plan
// does before it asks the server.
func BenchmarkLoadExample(b *testing.B) {
	for b.Loop() {
		if _, err := Load("../../examples/ward"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiffPolicy diffs a 500-rule policy with a few rules changed,
// with its unified diff and access changes over three environments.
func BenchmarkDiffPolicy(b *testing.B) {
	var old, neu strings.Builder
	old.WriteString("rules:\n")
	neu.WriteString("rules:\n")
	for i := range 500 {
		fmt.Fprintf(&old, "  - path: \"*/team%d/*\"\n    capabilities: [read, list]\n", i)
		caps := "[read, list]"
		if i%100 == 7 {
			caps = "[read]"
		}
		fmt.Fprintf(&neu, "  - path: \"*/team%d/*\"\n    capabilities: %s\n", i, caps)
	}
	cur := &State{Envs: []Env{{Name: "dev"}, {Name: "staging"}, {Name: "prod"}}, Policies: []Policy{{Name: "big", Text: old.String()}}}
	want := &State{Envs: cur.Envs, Policies: []Policy{{Name: "big", Text: neu.String()}}}
	b.ResetTimer()
	for b.Loop() {
		if c := Diff(cur, want, Options{}); len(c) != 1 || len(c[0].Access) != 15 {
			b.Fatalf("Diff = %d changes, %d access changes", len(c), len(c[0].Access))
		}
	}
}
