package codegen

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// A harness is a generated loader compiled once with a main that judges
// many secrets in one run: each stdin line is "TYPE<TAB>HEX(JSON)", each
// stdout line "ok" or "err<TAB>FIELD<TAB>RULE". Run with the argument
// "load", it calls Load and prints what a careless program would.
type harness struct {
	bin string
}

type judgeCase struct {
	typ string
	raw string
}

type verdict struct {
	ok          bool
	field, rule string
}

func (h *harness) judge(t *testing.T, cases []judgeCase) []verdict {
	t.Helper()
	var in bytes.Buffer
	for _, c := range cases {
		fmt.Fprintf(&in, "%s\t%s\n", c.typ, hex.EncodeToString([]byte(c.raw)))
	}
	cmd := exec.Command(h.bin)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", h.bin, err, stderrOf(err))
	}
	var vs []verdict
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		switch {
		case f[0] == "ok":
			vs = append(vs, verdict{ok: true})
		case len(f) == 3:
			vs = append(vs, verdict{field: f[1], rule: f[2]})
		default:
			t.Fatalf("%s: unexpected line %q", h.bin, sc.Text())
		}
	}
	if len(vs) != len(cases) {
		t.Fatalf("%s answered %d of %d cases", h.bin, len(vs), len(cases))
	}
	return vs
}

// load runs the harness's Load with env added to a clean environment.
func (h *harness) load(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command(h.bin, "load")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s load: %v\n%s", h.bin, err, out)
	}
	return string(out)
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// buildGoHarness writes src as package secrets of a temporary module with a
// main for typeNames, and builds it.
func buildGoHarness(t *testing.T, src []byte, typeNames []string) *harness {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module conformance\n\ngo 1.26\n")
	write(t, filepath.Join(dir, "secrets", "secrets.go"), string(src))
	var parsers strings.Builder
	for _, n := range typeNames {
		fmt.Fprintf(&parsers, "\t%q: func(s string) error { _, err := secrets.Parse%s(s); return err },\n", n, goTypeName(n))
	}
	write(t, filepath.Join(dir, "main.go"), strings.Replace(goHarnessMain, "PARSERS", parsers.String(), 1))
	bin := filepath.Join(dir, "harness")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the generated Go loader: %v\n%s", err, out)
	}
	return &harness{bin: bin}
}

const goHarnessMain = `package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"conformance/secrets"
)

var parsers = map[string]func(string) error{
PARSERS}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "load" {
		s, err := secrets.Load()
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%v\n%+v\n%#v\n%s\n", s, s, s, s.DBPassword)
		fmt.Println("revealed length", len(s.DBPassword.Reveal()))
		return
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		typ, h, _ := strings.Cut(sc.Text(), "\t")
		raw, _ := hex.DecodeString(h)
		err := parsers[typ](string(raw))
		var e *secrets.Error
		switch {
		case err == nil:
			fmt.Fprintln(w, "ok")
		case errors.As(err, &e):
			fmt.Fprintf(w, "err\t%s\t%s\n", e.Field, e.Rule)
		default:
			fmt.Fprintf(w, "err\t?\t%v\n", err)
		}
	}
}
`

// rustc finds a working Rust compiler, or says why there is none.
func rustc() (string, string) {
	cands := []string{}
	if p, err := exec.LookPath("rustc"); err == nil {
		cands = append(cands, p)
	}
	if home, err := os.UserHomeDir(); err == nil {
		cands = append(cands, filepath.Join(home, ".cargo", "bin", "rustc"))
	}
	for _, c := range cands {
		if out, err := exec.Command(c, "--version").CombinedOutput(); err == nil && bytes.HasPrefix(out, []byte("rustc ")) {
			return c, ""
		}
	}
	return "", "no working rustc on PATH or in ~/.cargo/bin (make test installs Debian's rustc where it can)"
}

// rustHarnesses are the Rust harnesses built in this run, by their source
// and types: the tests that judge with the same loader share one build.
var rustHarnesses = struct {
	sync.Mutex
	bins map[string]*harness
	dirs []string
}{bins: map[string]*harness{}}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range rustHarnesses.dirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// rustHarnessOfAll is the Rust harness of every type in schemas (built
// once per run), as the conformance test judges them.
func rustHarnessOfAll(t testing.TB, schemas map[string][]byte) *harness {
	t.Helper()
	names := slices.Sorted(maps.Keys(schemas))
	src, err := Generate(Options{Lang: Rust, Component: conformanceComponent(names), Types: source(schemas)})
	if err != nil {
		t.Fatal(err)
	}
	return buildRustHarness(t, src, names)
}

// buildRustHarness writes src as module secrets with a main for typeNames
// and compiles it with rustc, once per run for the same src and types; it
// skips t when there is no working Rust.
func buildRustHarness(t testing.TB, src []byte, typeNames []string) *harness {
	t.Helper()
	rc, why := rustc()
	if rc == "" {
		t.Skip("Rust loaders not checked: " + why)
	}
	key := string(src) + "\x00" + strings.Join(typeNames, "\x00")
	rustHarnesses.Lock()
	defer rustHarnesses.Unlock()
	if h := rustHarnesses.bins[key]; h != nil {
		return h
	}
	dir, err := os.MkdirTemp("", "ward-rust-harness-")
	if err != nil {
		t.Fatal(err)
	}
	rustHarnesses.dirs = append(rustHarnesses.dirs, dir)
	write(t, filepath.Join(dir, "secrets.rs"), string(src))
	var arms strings.Builder
	for _, n := range typeNames {
		fmt.Fprintf(&arms, "        %q => secrets::%s::parse(raw).map(|_| ()),\n", n, rustTypeName(n))
	}
	write(t, filepath.Join(dir, "main.rs"), strings.Replace(rustHarnessMain, "ARMS", arms.String(), 1))
	bin := filepath.Join(dir, "harness")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	// Optimised a little (the EC and RSA checks run ten times faster),
	// with the overflow checks and assertions of a debug build kept.
	cmd := exec.Command(rc, "--edition", "2021", "-C", "opt-level=1", "-C", "debug-assertions=on", "-C", "overflow-checks=on", "-o", bin, "main.rs")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rustc of the generated Rust loader: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("warning")) {
		// Lints change between compilers: report, do not fail.
		t.Logf("rustc warns about the generated loader:\n%s", out)
	}
	h := &harness{bin: bin}
	rustHarnesses.bins[key] = h
	return h
}

const rustHarnessMain = `mod secrets;

use std::io::{self, BufRead, Write};

fn unhex(s: &str) -> String {
    let b: Vec<u8> = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
    String::from_utf8(b).unwrap()
}

fn judge(t: &str, raw: &str) -> Result<(), secrets::Error> {
    match t {
ARMS        _ => panic!("no parser for type {}", t),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() > 1 && args[1] == "load" {
        match secrets::Secrets::load() {
            Ok(s) => {
                println!("{:?}", s);
                println!("{:#?}", s);
                println!("{}", s.db_password);
                println!("revealed length {}", s.db_password.reveal().len());
            }
            Err(e) => println!("error: {}", e),
        }
        return;
    }
    let stdin = io::stdin();
    let mut out = io::BufWriter::new(io::stdout());
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let (t, h) = line.split_once('\t').unwrap();
        match judge(t, &unhex(h)) {
            Ok(()) => writeln!(out, "ok"),
            Err(e) => writeln!(out, "err\t{}\t{}", e.problems[0].field, e.problems[0].rule),
        }
        .unwrap();
    }
}
`

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
