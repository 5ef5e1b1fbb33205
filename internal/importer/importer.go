package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sort"
)

// Secret is one secret to import: its path in the target environment, its
// fields, and its custom metadata (nil for none).
type Secret struct {
	Path   string
	Data   map[string]any
	Custom map[string]string
}

// Target is the environment secrets are imported into.
//
// Read returns found == false and a nil error for a path that holds no
// current version. Write makes a new version with exactly data. SetCustom
// replaces the secret's custom metadata with custom.
type Target interface {
	Read(ctx context.Context, path string) (data map[string]any, custom map[string]string, found bool, err error)
	Write(ctx context.Context, path string, data map[string]any) error
	SetCustom(ctx context.Context, path string, custom map[string]string) error
}

// Action is what an import did, or would do, with one secret.
type Action string

const (
	Created   Action = "created"   // the path held nothing
	Updated   Action = "updated"   // a new version, or new custom metadata
	Unchanged Action = "unchanged" // the target already held the same data and metadata
	Failed    Action = "failed"    // see Result.Err
)

// Result is the outcome for one secret. Err never holds a value.
type Result struct {
	Path   string   `json:"path"`
	Action Action   `json:"action"`
	Fields []string `json:"fields,omitempty"` // field names, sorted: what a reviewer of a dry run checks
	Err    error    `json:"-"`
	Error  string   `json:"error,omitempty"`
}

// Summary counts the results of an import.
type Summary struct {
	DryRun    bool     `json:"dry_run"`
	Created   int      `json:"created"`
	Updated   int      `json:"updated"`
	Unchanged int      `json:"unchanged"`
	Failed    int      `json:"failed"`
	Results   []Result `json:"results"`
}

// Options control Run.
type Options struct {
	DryRun bool // compare and report; write nothing
}

// ErrSomeFailed is returned by Run when at least one secret failed; the
// others were still imported, and the summary says which failed and why.
var ErrSomeFailed = errors.New("some secrets were not imported")

// Run imports secrets into t in path order. A secret whose data and custom
// metadata already match is left alone, so an import can be run again
// safely. A failure on one secret is recorded and the rest go on.
func Run(ctx context.Context, secrets []Secret, t Target, o Options) (*Summary, error) {
	sorted := append([]Secret(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	s := &Summary{DryRun: o.DryRun, Results: []Result{}}
	for i, sec := range sorted {
		if i > 0 && sorted[i-1].Path == sec.Path {
			s.add(Result{Path: sec.Path, Action: Failed, Err: fmt.Errorf("%s: given twice by the source", sec.Path)})
			continue
		}
		s.add(importOne(ctx, sec, t, o))
	}
	if s.Failed > 0 {
		return s, ErrSomeFailed
	}
	return s, nil
}

func importOne(ctx context.Context, sec Secret, t Target, o Options) Result {
	r := Result{Path: sec.Path, Fields: fieldNames(sec.Data)}
	fail := func(step string, err error) Result {
		r.Action, r.Err = Failed, fmt.Errorf("%s: %s: %w", sec.Path, step, err)
		return r
	}
	if len(sec.Data) == 0 {
		return fail("check", errors.New("no fields to import"))
	}
	data, custom, found, err := t.Read(ctx, sec.Path)
	if err != nil {
		return fail("read", err)
	}
	sameData := found && reflect.DeepEqual(normalise(data), normalise(sec.Data))
	sameCustom := len(sec.Custom) == 0 || maps.Equal(custom, sec.Custom)
	switch {
	case sameData && sameCustom:
		r.Action = Unchanged
		return r
	case found:
		r.Action = Updated
	default:
		r.Action = Created
	}
	if o.DryRun {
		return r
	}
	// Metadata first: a type or required metadata named in it then applies
	// to the write, as it would for any writer.
	if !sameCustom {
		if err := t.SetCustom(ctx, sec.Path, sec.Custom); err != nil {
			return fail("write metadata", err)
		}
	}
	if !sameData {
		if err := t.Write(ctx, sec.Path, sec.Data); err != nil {
			return fail("write", err)
		}
	}
	return r
}

func (s *Summary) add(r Result) {
	switch r.Action {
	case Created:
		s.Created++
	case Updated:
		s.Updated++
	case Unchanged:
		s.Unchanged++
	case Failed:
		s.Failed++
		r.Error = r.Err.Error()
	}
	s.Results = append(s.Results, r)
}

func fieldNames(m map[string]any) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// normalise makes JSON numbers comparable whichever way they were decoded
// (float64, json.Number, int), so an unchanged secret compares equal.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalise(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		return out
	case json.Number:
		return number(x.String())
	case float64, float32, int, int64, int32, uint64:
		return number(fmt.Sprint(x))
	}
	return v
}

// number is a normalised JSON number: a distinct type, so the number 1 and
// the string "1" still differ.
type number string
