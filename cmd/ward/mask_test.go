package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var updateMask = flag.Bool("update-mask", false, "rewrite testdata/mask/*.golden")

// maskSecretsInTestdata are the values of testdata/mask/values.json that must
// never reach ward mask's output or errors.
var maskSecretsInTestdata = []string{"Zq9-long-db-password", "Zq9-long-d\n", "b-password!", "ghp_0123456789abcdef", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "Z2hwXzAxMjM0NTY3ODlh"}

func runMaskCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runCLI(append([]string{"mask"}, args...), strings.NewReader(stdin), &out, &errb)
	for _, s := range []string{out.String(), errb.String()} {
		for i, v := range maskSecretsInTestdata {
			if strings.Contains(s, v) {
				t.Fatalf("ward mask %v printed secret #%d", args, i)
			}
		}
	}
	return code, out.String(), errb.String()
}

func TestMaskGolden(t *testing.T) {
	in, err := os.ReadFile("testdata/mask/input.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ golden, repl string }{
		{"output.golden", ""},
		{"output-stars.golden", "***"},
	} {
		args := []string{"--values-file", "testdata/mask/values.json"}
		if tc.repl != "" {
			args = append(args, "--replacement", tc.repl)
		}
		code, out, errOut := runMaskCmd(t, string(in), args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		path := filepath.Join("testdata/mask", tc.golden)
		if *updateMask {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("%s: output differs from the golden file (run with -update-mask to see):\n%s", tc.golden, out)
		}
		for _, w := range []string{"value of flag is not masked", "value of pin is not masked"} {
			if strings.Count(errOut, w) != 1 {
				t.Errorf("stderr should warn once %q:\n%s", w, errOut)
			}
		}
	}
}

func TestMaskUsageErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	malformed := write("malformed.json", "{\n  \"db\": \"Zq9-long-db-password!\n}")
	dup := write("dup.json", "{\"a\": \"Zq9-long-db-password!\",\n \"a\": \"ghp_0123456789abcdefghij\"}")
	list := write("list.json", `["Zq9-long-db-password!"]`)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no values file", nil, "needs --env ENV or --values-file"},
		{"missing file", []string{"--values-file", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"malformed", []string{"--values-file", malformed}, "malformed.json:2:"},
		{"duplicate", []string{"--values-file", dup}, "dup.json:2:2: duplicate key \"a\""},
		{"not an object", []string{"--values-file", list}, "list.json:1:1: the top level must be a JSON object"},
		{"extra arg", []string{"--values-file", list, "x"}, "takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runMaskCmd(t, "Zq9-long-db-password!\n", tc.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the mask flush timer's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMaskLivePipe checks that output reaches stdout while stdin is still
// open (the flush timer), and that a secret's beginning does not.
func TestMaskLivePipe(t *testing.T) {
	pr, pw := io.Pipe()
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- runCLI([]string{"mask", "--values-file", "testdata/mask/values.json"}, pr, &out, &errb)
	}()
	pw.Write([]byte("step 1 ok\nlogin: Zq9-long"))
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "step 1 ok\nlogin: " {
		if time.Now().After(deadline) {
			t.Fatalf("live output not flushed: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	pw.Write([]byte("-db-password!\n"))
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got := out.String(); got != "step 1 ok\nlogin: [masked:db.password]\n" {
		t.Errorf("got %q", got)
	}
}
