package inventory

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/secrets"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func md(custom map[string]string, written time.Time) *secrets.Metadata {
	return &secrets.Metadata{CurrentVersion: 2, CreatedTime: written, UpdatedTime: written, CustomMetadata: custom,
		Versions: map[int]secrets.VersionMetadata{1: {Version: 1}, 2: {Version: 2, CreatedTime: written}}}
}

func TestFromMetadata(t *testing.T) {
	rules := [][]string{{"owner"}, {"expires_at", "rotate_every"}}
	r := FromMetadata("payments/db", md(map[string]string{
		"type": "postgres", "owner": "team", "recipients": "api, worker,,", "rotate_every": "30d",
		"expires_at": now.Add(60 * 24 * time.Hour).Format(time.RFC3339),
	}, now.Add(-20*24*time.Hour)), rules)
	if !slices.Equal(r.Recipients, []string{"api", "worker"}) || r.Version != 2 || r.Versions != 2 {
		t.Errorf("row %+v", r)
	}
	if want := now.Add(10 * 24 * time.Hour); !r.NextRotation.Equal(want) || !r.Due.Equal(want) {
		t.Errorf("next rotation %v, due %v; want both %v (the earlier of rotation and expiry)", r.NextRotation, r.Due, want)
	}
	if r.Status(now, 14*24*time.Hour) != "due" || r.Status(now, 24*time.Hour) != "ok" || r.Status(now.Add(11*24*time.Hour), 0) != "overdue" {
		t.Errorf("statuses of %+v", r)
	}
	bare := FromMetadata("x", md(map[string]string{"expires_at": "soon", "rotate_every": "often"}, now), rules)
	if !bare.Due.IsZero() || !slices.Equal(bare.Missing, []string{"owner"}) || bare.Status(now, DefaultWithin) != "missing" {
		t.Errorf("malformed dates and a missing owner: %+v", bare)
	}
}

func rows() []Row {
	var out []Row
	for i := range 30 {
		r := Row{Path: fmt.Sprintf("svc%02d/key", i), Owner: []string{"a", "b", "c"}[i%3], Type: []string{"", "postgres"}[i%2], Version: 30 - i}
		if i%5 == 0 {
			r.Due = now.Add(time.Duration(i-10) * 24 * time.Hour) // 0, 5 and 10 (due now) overdue, 15 and 20 due within 14 days
			r.ExpiresAt = r.Due
		}
		if i == 7 {
			r.Missing = []string{"owner"}
			r.Recipients = []string{"worker"}
		}
		out = append(out, r)
	}
	return out
}

func paths(p Page) string {
	var s []string
	for _, r := range p.Rows {
		s = append(s, r.Path)
	}
	return strings.Join(s, " ")
}

func TestSelect(t *testing.T) {
	for _, c := range []struct {
		name  string
		q     Query
		want  string
		total int
	}{
		{"first page", Query{PerPage: 3}, "svc00/key svc01/key svc02/key", 30},
		{"last page", Query{PerPage: 7, Page: 5}, "svc28/key svc29/key", 30},
		{"past the end", Query{PerPage: 10, Page: 9}, "", 30},
		{"search is case-blind", Query{Search: "SVC1"}, "svc10/key svc11/key svc12/key svc13/key svc14/key svc15/key svc16/key svc17/key svc18/key svc19/key", 10},
		{"by recipient search", Query{Search: "work"}, "svc07/key", 1},
		{"owner and type", Query{Owner: "a", Type: "postgres"}, "svc03/key svc09/key svc15/key svc21/key svc27/key", 5},
		{"recipient", Query{Recipient: "worker"}, "svc07/key", 1},
		{"overdue", Query{Status: "overdue"}, "svc00/key svc05/key svc10/key", 3},
		{"due includes overdue", Query{Status: "due", Sort: "due"}, "svc00/key svc05/key svc10/key svc15/key svc20/key", 5},
		{"missing", Query{Status: "missing"}, "svc07/key", 1},
		{"by version", Query{Sort: "version", PerPage: 2}, "svc29/key svc28/key", 30},
		{"dates first, empty last", Query{Sort: "expires", PerPage: 7}, "svc00/key svc05/key svc10/key svc15/key svc20/key svc25/key svc01/key", 30},
		{"descending keeps empty last", Query{Sort: "expires", Desc: true, PerPage: 7}, "svc25/key svc20/key svc15/key svc10/key svc05/key svc00/key svc29/key", 30},
		{"ties by path", Query{Sort: "owner", PerPage: 3}, "svc00/key svc03/key svc06/key", 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.q.Check(); err != nil {
				t.Fatal(err)
			}
			p := Select(rows(), c.q, now)
			if got := paths(p); got != c.want || p.Total != c.total {
				t.Errorf("got %q (total %d), want %q (total %d)", got, p.Total, c.want, c.total)
			}
		})
	}
}

func TestQueryCheck(t *testing.T) {
	for _, q := range []Query{{Sort: "value"}, {Status: "lost"}, {Page: -1}, {PerPage: MaxPerPage + 1}} {
		if err := q.Check(); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(rows(), now, 0)
	if s.Secrets != 30 || s.Overdue != 3 || s.DueSoon != 2 || s.Missing != 1 || s.Types["postgres"] != 15 || s.Types[""] != 15 || s.Owners["b"] != 10 {
		t.Errorf("summary %+v", s)
	}
}

// BenchmarkSelect measures a first page of 10,000 rows sorted by due date:
//
//	go test -run='^$' -bench=Select ./internal/inventory
func BenchmarkSelect(b *testing.B) {
	base := make([]Row, 0, 10000)
	for i := range 10000 {
		base = append(base, Row{Path: fmt.Sprintf("team%02d/svc%04d", i%40, i), Owner: fmt.Sprint("team", i%40), Due: now.Add(time.Duration(i%500) * time.Hour)})
	}
	rs := make([]Row, len(base))
	for b.Loop() {
		copy(rs, base)
		Select(rs, Query{Sort: "due", Search: "svc"}, now)
	}
}
