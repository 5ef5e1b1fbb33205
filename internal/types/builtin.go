package types

import (
	"embed"
	"maps"
	"slices"
	"strings"
	"sync"
)

//go:embed builtin/*.schema.json
var builtinFS embed.FS

var builtins = sync.OnceValue(func() map[string]*Type {
	out := map[string]*Type{}
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".schema.json")
		src, err := builtinFS.ReadFile("builtin/" + e.Name())
		if err != nil {
			panic(err)
		}
		t, err := Compile(name, src)
		if err != nil {
			panic("built-in type " + name + ": " + err.Error())
		}
		out[name] = t
	}
	return out
})

// Builtins returns the schemas of the types ward ships, by name: password,
// api-token, postgres, url-with-credentials, tls, ssh-private-key,
// aws-access-key and jwt-signing-key.
func Builtins() map[string][]byte {
	out := map[string][]byte{}
	for name, t := range builtins() {
		out[name] = t.Source()
	}
	return out
}

// Builtin returns the compiled built-in type name, or nil.
func Builtin(name string) *Type { return builtins()[name] }

// IsBuiltin reports whether name is a type ward ships.
func IsBuiltin(name string) bool { _, ok := builtins()[name]; return ok }

// BuiltinNames lists the built-in types' names, sorted.
func BuiltinNames() []string {
	return sortedKeys(builtins())
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
