package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// lineBuffer collects output and says when it has n lines.
type lineBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	signal chan struct{}
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.signal <- struct{}{}:
	default:
	}
	return n, err
}

func (b *lineBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSuffix(b.buf.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func (b *lineBuffer) waitLines(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if l := b.lines(); len(l) >= n {
			return l
		}
		select {
		case <-b.signal:
		case <-deadline:
			t.Fatalf("want %d lines, have %q", n, b.lines())
		}
	}
}

func openTestLog(t *testing.T, path string) *audit.Log {
	t.Helper()
	l, err := audit.Open(audit.Config{Path: path, HMACKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func writeResponse(t *testing.T, l *audit.Log, env, path, who string, status int) {
	t.Helper()
	base := audit.Entry{Identity: who, Token: "ward_TOKENVALUE", Environment: env, Path: path, Operation: "read", RemoteAddr: "10.0.0.1:1"}
	req, resp := base, base
	req.Type, resp.Type, resp.Status = "request", "response", status
	resp.Data = map[string]any{"password": "SECRETVALUE"}
	if err := l.WriteAll(context.Background(), &req, &resp); err != nil {
		t.Fatal(err)
	}
}

// TestAuditTailFollows prints the last entry, then entries as they are
// written, then entries of a new file after the log is moved aside, with
// the tick driven by the test instead of a clock.
func TestAuditTailFollows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	l := openTestLog(t, path)
	writeResponse(t, l, "staging", "staging/data/a", "jwt-one", 200)
	writeResponse(t, l, "prod", "prod/data/p", "jwt-one", 200)
	writeResponse(t, l, "staging", "staging/data/b", "jwt-two", 200)

	out := &lineBuffer{signal: make(chan struct{}, 1)}
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runAuditTail(ctx, auditTailOptions{log: path, follow: true, lines: 1, env: "staging", format: "text",
			stdout: out, tick: func() <-chan time.Time { return tick }})
	}()
	got := out.waitLines(t, 1)
	if len(got) != 1 || !strings.Contains(got[0], "200  read staging/data/b  jwt-two") {
		t.Fatalf("first output %q, want the last staging entry only", got)
	}

	writeResponse(t, l, "staging", "staging/data/c", "jwt-three", 403)
	writeResponse(t, l, "prod", "prod/data/q", "jwt-three", 200)
	tick <- time.Time{}
	got = out.waitLines(t, 2)
	if !strings.Contains(got[1], "403  read staging/data/c  jwt-three") {
		t.Fatalf("followed line %q", got[1])
	}

	// Moved aside: the vault goes on in a new file at the same path.
	l.Close()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l = openTestLog(t, path)
	defer l.Close()
	writeResponse(t, l, "staging", "staging/data/d", "jwt-four", 200)
	tick <- time.Time{}
	got = out.waitLines(t, 3)
	if !strings.Contains(got[2], "staging/data/d  jwt-four") {
		t.Fatalf("line after the move %q", got[2])
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	all := strings.Join(out.lines(), "\n")
	if strings.Contains(all, "SECRETVALUE") || strings.Contains(all, "TOKENVALUE") || strings.Contains(all, "prod/data") {
		t.Fatalf("output holds a value, a token or a filtered entry:\n%s", all)
	}
}

func TestAuditTailFilters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTestLog(t, path)
	writeResponse(t, l, "staging", "staging/data/a", "jwt-repo:octo/api:ref:refs/heads/main", 200)
	writeResponse(t, l, "staging", "staging/data/b", "userpass-alice", 200)
	writeResponse(t, l, "", "prod/data/x", "userpass-alice", 403) // refused at prod's door
	alert := audit.Entry{Type: "alert", RequestID: "alert-1", Identity: "userpass-alice", Operation: "first_read",
		Meta: map[string]string{"identity": "user:alice", "summary": "user:alice read prod/x for the first time"}}
	if err := l.Write(context.Background(), &alert); err != nil {
		t.Fatal(err)
	}
	l.Close()
	run := func(o auditTailOptions) string {
		t.Helper()
		var out bytes.Buffer
		o.log, o.stdout = path, &out
		if o.format == "" {
			o.format = "text"
		}
		if o.lines == 0 {
			o.lines = 20
		}
		if err := runAuditTail(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got := run(auditTailOptions{identities: []string{"userpass-*"}}); strings.Count(got, "\n") != 3 || !strings.Contains(got, "ALERT  first_read  user:alice read prod/x") {
		t.Errorf("--identity userpass-*:\n%s", got)
	}
	if got := run(auditTailOptions{env: "prod"}); strings.Count(got, "\n") != 1 || !strings.Contains(got, "403  read prod/data/x") {
		t.Errorf("--env prod:\n%s", got)
	}
	if got := run(auditTailOptions{identities: []string{"*octo/api*"}, format: "json"}); !strings.HasPrefix(got, `{"time":`) || strings.Count(got, "\n") != 1 || !strings.Contains(got, `"path":"staging/data/a"`) {
		t.Errorf("--format json:\n%s", got)
	}
	var out bytes.Buffer
	if err := runAuditTail(context.Background(), auditTailOptions{format: "text", stdout: &out}); err == nil || !strings.Contains(err.Error(), "missing --log") {
		t.Errorf("no --log: %v", err)
	}
}
