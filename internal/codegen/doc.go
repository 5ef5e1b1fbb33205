// Package codegen writes typed secret loaders for one component of a
// manifest: Go (structs and Load) or Rust (std only, Secrets::load). A
// loader reads what `ward run` provides — environment variables, files
// under $WARD_SECRETS_DIR, and $WARD_MISSING for the optional ones left
// unset — and checks every value against the rules of its type, the same
// rules the server applies: required fields, JSON types, minimum and
// maximum, lengths, enums, ward's formats and patterns.
//
//	src, err := codegen.Generate(codegen.Options{Lang: codegen.Go, Component: c, Types: lookup})
//
// A type is first compiled into a Schema: every keyword of a JSON Schema
// that a loader cannot mirror exactly is refused, with an *UnsupportedError
// naming the type, the keyword and the reason, rather than generating a
// weaker check. Go loaders use Go's regexp for patterns, the server's own
// engine; Rust loaders carry each pattern compiled to a DFA (package
// pattern) as tables.
//
// A loader's errors name the variable or file, the field and the rule broken,
// never a value; every value that is not marked "x-ward-sensitive": false
// is wrapped so that it prints as [redacted] (Go's %v, %+v, %#v and
// slog; Rust's Debug and Display).
package codegen
