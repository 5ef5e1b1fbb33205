package ui

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/inventory"
	"github.com/wardhq/ward/internal/rotate"
	"github.com/wardhq/ward/internal/secrets"
)

// inventoryData is sys/ward/inventory's answer.
type inventoryData struct {
	Env     string            `json:"env"`
	Within  string            `json:"within"`
	Summary inventory.Summary `json:"summary"`
	Page    inventory.Page    `json:"page"`
}

type count struct {
	Name string
	N    int
}

func counts(m map[string]int) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		out = append(out, count{k, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].N > out[j].N || out[i].N == out[j].N && out[i].Name < out[j].Name })
	return out
}

// envsPage is the environments view.
type envsPage struct {
	Env      string
	Summary  inventory.Summary
	Types    []count
	Owners   []count
	Rules    [][]string
	RulesErr string
	Due      []inventory.Row
	Others   []string
	Now      time.Time
	NoMFA    bool
}

func (h *Handler) envs(w http.ResponseWriter, r *http.Request, s *session) {
	inv, err := get[inventoryData](h, r, s, "sys/ward/inventory/"+url.PathEscape(s.env), url.Values{"status": {"due"}, "sort": {"due"}, "per_page": {"10"}})
	if err != nil {
		h.failAPI(w, r, s, err)
		return
	}
	p := &envsPage{Env: s.env, Summary: inv.Summary, Types: counts(inv.Summary.Types), Owners: counts(inv.Summary.Owners),
		Due: inv.Page.Rows, Now: h.cfg.Now(), NoMFA: s.noMFA}
	rules, err := get[struct {
		Required [][]string `json:"required_metadata"`
	}](h, r, s, "sys/ward/envs/"+url.PathEscape(s.env)+"/rules", nil)
	switch {
	case err == nil:
		p.Rules = rules.Required
	case isStatus(err, http.StatusForbidden):
		p.RulesErr = "Your token may not read this environment's rules."
	default:
		h.failAPI(w, r, s, err)
		return
	}
	v := &view{Title: "Environment " + s.env, Nav: "envs", Session: s, Data: p}
	v.Envs = h.envNames(r, s)
	for _, e := range v.Envs {
		if e != s.env {
			p.Others = append(p.Others, e)
		}
	}
	h.render(w, r, http.StatusOK, "envs", v)
}

// secretsPage is the inventory view.
type secretsPage struct {
	Env      string
	Query    url.Values // the filters as given, for links
	Search   string
	Type     string
	Owner    string
	Status   string
	Sort     string
	Order    string
	Types    []count
	Owners   []count
	Statuses []string
	Sorts    []string
	Page     inventory.Page
	Now      time.Time
	Error    string
}

var inventoryParams = []string{"q", "type", "owner", "status", "sort", "order", "page"}

func (h *Handler) secrets(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range inventoryParams {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	p := &secretsPage{Env: s.env, Query: q, Search: q.Get("q"), Type: q.Get("type"), Owner: q.Get("owner"), Status: q.Get("status"),
		Sort: q.Get("sort"), Order: q.Get("order"), Statuses: inventory.Statuses, Sorts: inventory.SortKeys, Now: h.cfg.Now()}
	inv, err := get[inventoryData](h, r, s, "sys/ward/inventory/"+url.PathEscape(s.env), q)
	if isStatus(err, http.StatusBadRequest) {
		p.Error = msgOf(err) // and the unfiltered inventory below it
		inv, err = get[inventoryData](h, r, s, "sys/ward/inventory/"+url.PathEscape(s.env), nil)
	}
	if err != nil {
		h.failAPI(w, r, s, err)
		return
	}
	p.Page, p.Types, p.Owners = inv.Page, counts(inv.Summary.Types), counts(inv.Summary.Owners)
	h.render(w, r, http.StatusOK, "secrets", &view{Title: "Secrets in " + s.env, Nav: "secrets", Session: s, Data: p, Partial: in.Get("partial") == "1"})
}

// metadataData is KV v2's metadata answer.
type metadataData struct {
	CreatedTime    time.Time         `json:"created_time"`
	UpdatedTime    time.Time         `json:"updated_time"`
	CurrentVersion int               `json:"current_version"`
	OldestVersion  int               `json:"oldest_version"`
	MaxVersions    int               `json:"max_versions"`
	CustomMetadata map[string]string `json:"custom_metadata"`
	Versions       map[string]struct {
		CreatedTime  time.Time `json:"created_time"`
		DeletionTime string    `json:"deletion_time"`
		Destroyed    bool      `json:"destroyed"`
	} `json:"versions"`
}

// secretsMetadata is md as package secrets holds it, for the row that
// the inventory would show.
func (md *metadataData) secretsMetadata() *secrets.Metadata {
	m := &secrets.Metadata{CurrentVersion: md.CurrentVersion, OldestVersion: md.OldestVersion, CreatedTime: md.CreatedTime,
		UpdatedTime: md.UpdatedTime, CustomMetadata: md.CustomMetadata, Versions: map[int]secrets.VersionMetadata{}}
	for k, v := range md.Versions {
		n, err := strconv.Atoi(k)
		if err != nil {
			continue
		}
		vm := secrets.VersionMetadata{Version: n, CreatedTime: v.CreatedTime, Destroyed: v.Destroyed}
		vm.DeletionTime, _ = time.Parse(time.RFC3339Nano, v.DeletionTime)
		m.Versions[n] = vm
	}
	return m
}

type versionRow struct {
	Version   int
	Created   time.Time
	Deleted   bool
	Destroyed bool
	Current   bool
	By        string // from the audit log; "" when unknown
}

type reader struct {
	Identity string
	Version  int
	At       time.Time
}

type field struct {
	Name      string
	Sensitive bool
}

// secretPage is a secret's page: never a value.
type secretPage struct {
	Env        string
	Path       string
	Meta       metadataData
	Row        inventory.Row
	CustomKV   [][2]string
	Versions   []versionRow
	Fields     []field
	TypeErr    string
	LastRead   time.Time
	LastReader string
	Readers    []reader
	UsageErr   string
	Activity   []audit.Record
	AuditErr   string
	// Rotation is the rotation under way (sys/ward/rotation); nil with
	// RotationErr when the token may not read it.
	Rotation    *rotate.Status
	RotationErr string
	Now         time.Time
}

func (h *Handler) secret(w http.ResponseWriter, r *http.Request, s *session) {
	p := strings.Trim(r.PathValue("path"), "/")
	if p == "" || strings.Contains(p, "..") {
		h.fail(w, r, s, http.StatusBadRequest, "That is not a secret's path.")
		return
	}
	md, err := get[metadataData](h, r, s, s.env+"/metadata/"+escapePath(p), nil)
	if err != nil {
		h.failAPI(w, r, s, err)
		return
	}
	sp := &secretPage{Env: s.env, Path: p, Meta: md, Now: h.cfg.Now()}
	rules, _ := get[struct {
		Required [][]string `json:"required_metadata"`
	}](h, r, s, "sys/ward/envs/"+url.PathEscape(s.env)+"/rules", nil) // none shown when the token may not read them
	sp.Row = inventory.FromMetadata(p, md.secretsMetadata(), rules.Required)
	for k, v := range md.CustomMetadata {
		sp.CustomKV = append(sp.CustomKV, [2]string{k, v})
	}
	sort.Slice(sp.CustomKV, func(i, j int) bool { return sp.CustomKV[i][0] < sp.CustomKV[j][0] })
	h.secretAudit(r, s, sp)
	for k, v := range md.Versions {
		n, err := strconv.Atoi(k)
		if err != nil {
			continue
		}
		sp.Versions = append(sp.Versions, versionRow{Version: n, Created: v.CreatedTime, Deleted: v.DeletionTime != "", Destroyed: v.Destroyed,
			Current: n == md.CurrentVersion, By: writer(sp.Activity, v.CreatedTime)})
	}
	slices.SortFunc(sp.Versions, func(a, b versionRow) int { return b.Version - a.Version })
	if t := md.CustomMetadata["type"]; t != "" {
		ty, err := get[struct {
			Fields       []string `json:"fields"`
			NonSensitive []string `json:"non_sensitive"`
		}](h, r, s, "sys/ward/types/"+url.PathEscape(t), nil)
		if err != nil {
			sp.TypeErr = "The type " + t + " could not be read with your token."
		}
		for _, f := range ty.Fields {
			sp.Fields = append(sp.Fields, field{Name: f, Sensitive: !slices.Contains(ty.NonSensitive, f)})
		}
	}
	u, err := get[struct {
		LastRead   time.Time `json:"last_read_time"`
		LastReader string    `json:"last_reader"`
		Readers    map[string]struct {
			Version int       `json:"version"`
			At      time.Time `json:"read_time"`
		} `json:"readers"`
	}](h, r, s, "sys/ward/usage/"+url.PathEscape(s.env)+"/"+escapePath(p), nil)
	if err != nil {
		sp.UsageErr = "Who read this secret is visible only to tokens that may read it."
	}
	sp.LastRead, sp.LastReader = u.LastRead, u.LastReader
	for id, rd := range u.Readers {
		sp.Readers = append(sp.Readers, reader{Identity: id, Version: rd.Version, At: rd.At})
	}
	slices.SortFunc(sp.Readers, func(a, b reader) int { return b.At.Compare(a.At) })
	switch st, err := h.rotationStatus(r, s, p); {
	case err == nil:
		sp.Rotation = &st
	case isStatus(err, http.StatusForbidden):
		sp.RotationErr = "Its rotation status is visible only to tokens that may read it."
	default:
		sp.RotationErr = "Its rotation status could not be read: " + msgOf(err)
	}
	h.render(w, r, http.StatusOK, "secret", &view{Title: s.env + "/" + p, Nav: "secrets", Session: s, Data: sp})
}

// secretAudit fills the secret's recent activity from the audit log.
func (h *Handler) secretAudit(r *http.Request, s *session, sp *secretPage) {
	for _, kind := range []string{"data", "metadata"} {
		api := sp.Env + "/" + kind + "/" + sp.Path
		res, err := get[audit.Result](h, r, s, "sys/ward/audit", url.Values{"path": {api}, "limit": {"200"}})
		if err != nil {
			sp.AuditErr = "Your token may not read the audit log, so who wrote each version is not shown."
			return
		}
		for _, rec := range res.Records {
			if rec.Path == api {
				sp.Activity = append(sp.Activity, rec)
			}
		}
	}
	slices.SortFunc(sp.Activity, func(a, b audit.Record) int { return b.Time.Compare(a.Time) })
	if len(sp.Activity) > 50 {
		sp.Activity = sp.Activity[:50]
	}
}

// writer finds who wrote a version: the successful write of the secret's
// data answered closest after the version's creation, within 5 seconds.
func writer(activity []audit.Record, created time.Time) string {
	best, bestD := "", 5*time.Second
	for _, rec := range activity {
		if rec.Status >= 300 || !strings.Contains(rec.Path, "/data/") || (rec.Operation != "create" && rec.Operation != "update" && rec.Operation != "patch") {
			continue
		}
		d := rec.Time.Sub(created)
		if d >= -time.Second && d < bestD {
			best, bestD = rec.Identity, d
		}
	}
	return best
}

func escapePath(p string) string {
	return strings.TrimPrefix(secretURL(p), "/ui/secrets/")
}

// SortURL is the inventory ordered by key; by key again, the other way.
func (p *secretsPage) SortURL(key string) string {
	order := ""
	if p.Sorted(key) && p.Order != "desc" {
		order = "desc"
	}
	return "/ui/secrets?" + withParam(p.Query, "sort", key, "order", order, "page", "")
}

// Sorted reports whether the inventory is ordered by key.
func (p *secretsPage) Sorted(key string) bool {
	return p.Sort == key || p.Sort == "" && key == "path"
}

// SortDir is the aria-sort value of the sorted column.
func (p *secretsPage) SortDir() string {
	if p.Order == "desc" {
		return "descending"
	}
	return "ascending"
}

// PageURL is page n of the same selection.
func (p *secretsPage) PageURL(n int) string {
	return "/ui/secrets?" + withParam(p.Query, "page", strconv.Itoa(n))
}

// StatusOf is a row's status now.
func (p *secretsPage) StatusOf(r inventory.Row) string {
	return r.Status(p.Now, inventory.DefaultWithin)
}
