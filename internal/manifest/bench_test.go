package manifest

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses the manifest of DESIGN.md.
func BenchmarkParse(b *testing.B) {
	src := []byte(example)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse("ward.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolve resolves a component of 100 env vars over 20 secrets.
func BenchmarkResolve(b *testing.B) {
	var src strings.Builder
	src.WriteString("version: 1\ncomponents:\n  api:\n    language: go\n    env:\n")
	fetched := map[string]Fetched{}
	for i := range 100 {
		fmt.Fprintf(&src, "      V%d: {from: s/%d, field: f%d}\n", i, i%20, i)
	}
	for s := range 20 {
		var data strings.Builder
		data.WriteString("{")
		for i := s; i < 100; i += 20 {
			if i > s {
				data.WriteString(",")
			}
			fmt.Fprintf(&data, `"f%d": "value-%d-%s"`, i, i, strings.Repeat("x", 40))
		}
		data.WriteString("}")
		fetched[fmt.Sprintf("s/%d", s)] = Fetched{Status: StatusOK, Data: []byte(data.String())}
	}
	m, err := Parse("ward.yaml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	c := m.Components["api"]
	for b.Loop() {
		r := c.Resolve(fetched, now)
		if len(r.Env) != 100 {
			b.Fatalf("%d values", len(r.Env))
		}
	}
}
