package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestQuery(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	ctx := context.Background()
	for i := range 40 {
		env := []string{"staging", "prod"}[i%2]
		req := entry(i)
		req.Environment, req.Path = env, fmt.Sprintf("%s/data/app/s%02d", env, i)
		resp := *req
		resp.Type, resp.Status = "response", 200
		if i%10 == 3 {
			resp.Identity, resp.Meta = "jwt-ci", map[string]string{"ci_repository": "Acme/API", "ci_run_id": "7"}
		}
		if err := l.WriteAll(ctx, req, &resp); err != nil {
			t.Fatal(err)
		}
	}
	query := func(f Filter) []string {
		t.Helper()
		res, err := Query(ctx, cfg.Path, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Records {
			out = append(out, strings.TrimPrefix(r.Path, r.Environment+"/data/app/"))
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"newest first, responses only", Filter{Limit: 3}, []string{"s39", "s38", "s37"}},
		{"environment", Filter{Environment: "prod", Limit: 2}, []string{"s39", "s37"}},
		{"path prefix", Filter{Path: "staging/data/app/s1"}, []string{"s18", "s16", "s14", "s12", "s10"}},
		{"identity, any case", Filter{Identity: "JWT"}, []string{"s33", "s23", "s13", "s03"}},
		{"repository", Filter{Repository: "acme/api", Environment: "staging"}, nil},
		{"repository in prod", Filter{Repository: "acme/", Limit: 2}, []string{"s33", "s23"}},
		{"after a line", Filter{AfterSeq: 76}, []string{"s39", "s38"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := query(c.f); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	res, _ := Query(ctx, cfg.Path, Filter{})
	if res.Head != 80 || res.Truncated || len(res.Records) != 40 {
		t.Errorf("head %d, truncated %v, %d records", res.Head, res.Truncated, len(res.Records))
	}
	if strings.Contains(fmt.Sprint(res.Records), "ward_token_value") {
		t.Error("a record carries a token")
	}
	// Times: the fake clock moves a millisecond per line.
	mid := res.Records[20].Time
	if got := query(Filter{Since: mid, Until: mid}); !slices.Equal(got, []string{"s19"}) {
		t.Errorf("since/until: %v", got)
	}
	if _, err := Query(ctx, cfg.Path, Filter{Limit: MaxQueryLimit + 1}); !errors.Is(err, ErrBadFilter) {
		t.Errorf("limit too high: %v", err)
	}
	var truncated bool
	var n int
	data, _ := os.ReadFile(cfg.Path)
	readBackwards(bytes.NewReader(data), int64(len(data)), 100, 1000, func([]byte) (bool, error) { n++; return true, nil }, &truncated)
	if !truncated || n == 0 || n > 3 {
		t.Errorf("a scan bounded to 1000 bytes: truncated %v, %d lines", truncated, n)
	}

	// A torn last line (a write in progress) is skipped.
	f, _ := os.OpenFile(cfg.Path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"time":"2026-11-25T22:00:00Z","type":"response","path":"staging/data/app/torn"`)
	f.Close()
	if got := query(Filter{Limit: 1}); !slices.Equal(got, []string{"s39"}) {
		t.Errorf("with a torn last line: %v", got)
	}
}

// readAllBackwards collects the lines readBackwards gives, last first.
func readAllBackwards(data []byte, chunk int64) []string {
	var got []string
	var truncated bool
	readBackwards(bytes.NewReader(data), int64(len(data)), chunk, 1<<40, func(line []byte) (bool, error) {
		got = append(got, string(line))
		return true, nil
	}, &truncated)
	return got
}

// forwardLines is what readBackwards must give: the complete non-empty
// lines, last first.
func forwardLines(data []byte) []string {
	var want []string
	i := bytes.LastIndexByte(data, '\n')
	if i < 0 {
		return nil
	}
	for _, l := range strings.Split(string(data[:i]), "\n") {
		if l != "" {
			want = append(want, l)
		}
	}
	slices.Reverse(want)
	return want
}

func FuzzReadBackwards(f *testing.F) {
	f.Add([]byte("a\nbb\nccc\n"), uint8(1))
	f.Add([]byte("a\n\n\nb\ntorn"), uint8(2))
	f.Add([]byte("no newline at all"), uint8(3))
	f.Add([]byte("\n\nx\n"), uint8(64))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		c := int64(chunk%64) + 1
		if got, want := readAllBackwards(data, c), forwardLines(data); !slices.Equal(got, want) {
			t.Errorf("chunk %d: got %q, want %q", c, got, want)
		}
	})
}

func TestQueryEvents(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	ctx := context.Background()
	req := entry(1)
	resp := *req
	resp.Type, resp.Status = "response", 200
	ev := &Entry{Type: "event", Path: "staging/payments/db", Operation: "rotation-rotated", Environment: "staging", Meta: map[string]string{"drill_id": "drill-1"}}
	other := &Entry{Type: "event", Path: "prod/payments/db", Operation: "rotation-failed", Environment: "prod", Error: "target refused"}
	if err := l.WriteAll(ctx, req, ev, &resp, other); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"responses by default", Filter{}, []string{"read"}},
		{"events", Filter{Events: true}, []string{"rotation-failed", "rotation-rotated"}},
		{"events of one environment", Filter{Events: true, Environment: "staging"}, []string{"rotation-rotated"}},
	} {
		res, err := Query(ctx, cfg.Path, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res.Records {
			got = append(got, r.Operation)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
