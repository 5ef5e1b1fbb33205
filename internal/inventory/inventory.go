// Package inventory is the secrets inventory of one environment, as the
// dashboard and sys/ward/inventory show it: one Row per secret, built from
// its metadata (never its data), searched, filtered, sorted and paged by
// Select, and summed up by Summarize.
//
//	rows = append(rows, inventory.FromMetadata(path, md, rules, now))
//	page := inventory.Select(rows, inventory.Query{Search: "payments", Sort: "due"}, now)
package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/vault"
)

// DefaultPerPage and MaxPerPage bound a page.
const (
	DefaultPerPage = 50
	MaxPerPage     = 500
)

// DefaultWithin is how soon a due date must be for a secret to count as
// due soon.
const DefaultWithin = 14 * 24 * time.Hour

// Row is one secret: where it is and what its metadata says. It holds no
// value, and no field of it is ever read from a secret's data.
type Row struct {
	Path         string    `json:"path"`
	Type         string    `json:"type,omitempty"`
	Owner        string    `json:"owner,omitempty"`
	Description  string    `json:"description,omitempty"`
	Recipients   []string  `json:"recipients,omitempty"`
	Version      int       `json:"version"`
	Versions     int       `json:"versions"` // kept versions
	Created      time.Time `json:"created_time"`
	Updated      time.Time `json:"updated_time"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	RotateEvery  string    `json:"rotate_every,omitempty"`
	NextRotation time.Time `json:"next_rotation,omitzero"`
	// Due is the earlier of ExpiresAt and NextRotation; zero when neither.
	Due time.Time `json:"due,omitzero"`
	// Missing lists the required metadata the secret lacks, one entry per
	// rule ("expires_at|rotate_every" for a choice).
	Missing    []string  `json:"missing,omitempty"`
	BreakGlass bool      `json:"break_glass,omitempty"`
	Deleted    bool      `json:"deleted,omitempty"` // the current version is deleted or destroyed
	LastRead   time.Time `json:"last_read,omitzero"`
	LastReader string    `json:"last_reader,omitempty"`
}

// FromMetadata builds the row of the secret at path, in an environment
// that requires the metadata groups required (vault.EnvRules). Malformed
// expires_at or rotate_every values, which writes refuse, leave their
// dates zero.
func FromMetadata(path string, md *secrets.Metadata, required [][]string) Row {
	cm := md.CustomMetadata
	r := Row{
		Path:        path,
		Type:        cm[vault.MetaType],
		Owner:       cm[vault.MetaOwner],
		Description: cm["description"],
		Version:     md.CurrentVersion,
		Versions:    len(md.Versions),
		Created:     md.CreatedTime.UTC(),
		Updated:     md.UpdatedTime.UTC(),
		RotateEvery: cm[vault.MetaRotateEvery],
		BreakGlass:  cm["break_glass"] == "true",
	}
	if rc := cm[vault.MetaRecipients]; rc != "" {
		for _, s := range strings.Split(rc, ",") {
			if s = strings.TrimSpace(s); s != "" {
				r.Recipients = append(r.Recipients, s)
			}
		}
	}
	if at, ok := cm[vault.MetaExpiresAt]; ok {
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			r.ExpiresAt = t.UTC()
			r.Due = r.ExpiresAt
		}
	}
	cur, hasCur := md.Versions[md.CurrentVersion]
	if hasCur {
		r.Deleted = !cur.DeletionTime.IsZero() || cur.Destroyed
	}
	if d, err := vault.ParseCadence(r.RotateEvery); err == nil && r.RotateEvery != "" && hasCur {
		r.NextRotation = cur.CreatedTime.Add(d).UTC()
		if r.Due.IsZero() || r.NextRotation.Before(r.Due) {
			r.Due = r.NextRotation
		}
	}
	for _, g := range (vault.EnvRules{RequiredMetadata: required}).Missing(cm) {
		r.Missing = append(r.Missing, strings.Join(g, "|"))
	}
	return r
}

// Status names a row's state at a time: "overdue" (Due has passed), "due"
// (Due within the window), "missing" (required metadata absent) or "ok".
// Overdue wins over due, and both over missing.
func (r *Row) Status(now time.Time, within time.Duration) string {
	switch {
	case !r.Due.IsZero() && !r.Due.After(now):
		return "overdue"
	case !r.Due.IsZero() && !r.Due.After(now.Add(within)):
		return "due"
	case len(r.Missing) > 0:
		return "missing"
	}
	return "ok"
}

// Query selects and orders rows. Zero values select everything, by path,
// first page of DefaultPerPage.
type Query struct {
	Search    string // a case-insensitive substring of path, owner, type, description or a recipient
	Type      string // exact
	Owner     string // exact
	Recipient string // one of the recipients, exact
	Status    string // "", "overdue", "due" (due soon or overdue), "missing", "ok"
	Sort      string // one of SortKeys; "" is "path"
	Desc      bool
	Page      int // 1-based; 0 is 1
	PerPage   int // 0 is DefaultPerPage; at most MaxPerPage
	Within    time.Duration
}

// SortKeys are the orders Query.Sort takes.
var SortKeys = []string{"path", "type", "owner", "version", "updated", "due", "expires", "rotation"}

// Statuses are the values Query.Status takes.
var Statuses = []string{"overdue", "due", "missing", "ok"}

// Check says what is wrong with q, quoting only its public values.
func (q *Query) Check() error {
	if q.Sort != "" && !slices.Contains(SortKeys, q.Sort) {
		return fmt.Errorf("sort %q is not one of %s", q.Sort, strings.Join(SortKeys, ", "))
	}
	if q.Status != "" && !slices.Contains(Statuses, q.Status) {
		return fmt.Errorf("status %q is not one of %s", q.Status, strings.Join(Statuses, ", "))
	}
	if q.Page < 0 || q.PerPage < 0 || q.PerPage > MaxPerPage {
		return fmt.Errorf("page must be 1 or more and per_page 1 to %d", MaxPerPage)
	}
	return nil
}

// Page is one page of a selection.
type Page struct {
	Rows    []Row `json:"rows"`
	Total   int   `json:"total"` // rows matching the query, on every page
	Page    int   `json:"page"`
	PerPage int   `json:"per_page"`
	Pages   int   `json:"pages"`
}

// Select filters rows by q, sorts them and returns the page asked for.
// rows is reordered in place. Ties are broken by path, so pages are stable.
func Select(rows []Row, q Query, now time.Time) Page {
	if q.PerPage == 0 {
		q.PerPage = DefaultPerPage
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.Within == 0 {
		q.Within = DefaultWithin
	}
	search := strings.ToLower(q.Search)
	kept := rows[:0:0]
	for i := range rows {
		r := &rows[i]
		if q.Type != "" && r.Type != q.Type || q.Owner != "" && r.Owner != q.Owner ||
			q.Recipient != "" && !slices.Contains(r.Recipients, q.Recipient) ||
			q.Status != "" && !statusMatches(r.Status(now, q.Within), q.Status) ||
			search != "" && !r.matches(search) {
			continue
		}
		kept = append(kept, *r)
	}
	sortRows(kept, q.Sort, q.Desc)
	p := Page{Total: len(kept), Page: q.Page, PerPage: q.PerPage, Pages: (len(kept) + q.PerPage - 1) / q.PerPage}
	lo := min((q.Page-1)*q.PerPage, len(kept))
	hi := min(lo+q.PerPage, len(kept))
	p.Rows = kept[lo:hi:hi]
	return p
}

func statusMatches(have, want string) bool {
	return have == want || want == "due" && have == "overdue"
}

func (r *Row) matches(lower string) bool {
	if contains(r.Path, lower) || contains(r.Owner, lower) || contains(r.Type, lower) || contains(r.Description, lower) {
		return true
	}
	return slices.ContainsFunc(r.Recipients, func(s string) bool { return contains(s, lower) })
}

func contains(s, lower string) bool {
	return s != "" && strings.Contains(strings.ToLower(s), lower)
}

// sortRows orders rows by key; rows without a date sort after those with
// one, whichever the direction.
func sortRows(rows []Row, key string, desc bool) {
	dir := 1
	if desc {
		dir = -1
	}
	byTime := func(get func(*Row) time.Time) func(a, b *Row) int {
		return func(a, b *Row) int {
			ta, tb := get(a), get(b)
			switch {
			case ta.IsZero() && tb.IsZero():
				return 0
			case ta.IsZero():
				return 1 * dir // undone by dir below: empty dates stay last
			case tb.IsZero():
				return -1 * dir
			}
			return ta.Compare(tb)
		}
	}
	var by func(a, b *Row) int
	switch key {
	case "type":
		by = func(a, b *Row) int { return cmp.Compare(a.Type, b.Type) }
	case "owner":
		by = func(a, b *Row) int { return cmp.Compare(a.Owner, b.Owner) }
	case "version":
		by = func(a, b *Row) int { return cmp.Compare(a.Version, b.Version) }
	case "updated":
		by = byTime(func(r *Row) time.Time { return r.Updated })
	case "due":
		by = byTime(func(r *Row) time.Time { return r.Due })
	case "expires":
		by = byTime(func(r *Row) time.Time { return r.ExpiresAt })
	case "rotation":
		by = byTime(func(r *Row) time.Time { return r.NextRotation })
	}
	slices.SortFunc(rows, func(a, b Row) int {
		if by != nil {
			if c := by(&a, &b) * dir; c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Path, b.Path) * dir
	})
}

// Summary sums up an environment's rows.
type Summary struct {
	Secrets int            `json:"secrets"`
	Types   map[string]int `json:"types"` // by type; "" for untyped
	Owners  map[string]int `json:"owners"`
	Overdue int            `json:"overdue"`
	DueSoon int            `json:"due_soon"` // due within the window, not yet overdue
	Missing int            `json:"missing_metadata"`
}

// Summarize counts rows by type, owner and state.
func Summarize(rows []Row, now time.Time, within time.Duration) Summary {
	if within == 0 {
		within = DefaultWithin
	}
	s := Summary{Secrets: len(rows), Types: map[string]int{}, Owners: map[string]int{}}
	for i := range rows {
		r := &rows[i]
		s.Types[r.Type]++
		if r.Owner != "" {
			s.Owners[r.Owner]++
		}
		switch r.Status(now, within) {
		case "overdue":
			s.Overdue++
		case "due":
			s.DueSoon++
		}
		if len(r.Missing) > 0 {
			s.Missing++
		}
	}
	return s
}
