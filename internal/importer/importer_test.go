package importer

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
)

// memTarget is an environment in memory that counts writes, for the rules
// of Run; the real target (a ward server over HTTP) is tested end to end in
// cmd/ward.
type memTarget struct {
	data   map[string]map[string]any
	custom map[string]map[string]string
	writes int
	fail   string // a path whose write fails
}

func newMemTarget() *memTarget {
	return &memTarget{data: map[string]map[string]any{}, custom: map[string]map[string]string{}}
}

func (m *memTarget) Read(_ context.Context, p string) (map[string]any, map[string]string, bool, error) {
	d, ok := m.data[p]
	return d, m.custom[p], ok, nil
}

func (m *memTarget) Write(_ context.Context, p string, d map[string]any) error {
	if p == m.fail {
		return errors.New("type payments-db: field \"port\": must be an integer")
	}
	m.writes++
	// As a server would: the data comes back decoded from JSON.
	b, _ := json.Marshal(d)
	var back map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	dec.Decode(&back)
	m.data[p] = back
	return nil
}

func (m *memTarget) SetCustom(_ context.Context, p string, c map[string]string) error {
	m.writes++
	m.custom[p] = maps.Clone(c)
	return nil
}

func TestRunIsIdempotent(t *testing.T) {
	ctx := context.Background()
	secrets := []Secret{
		{Path: "b/api", Data: map[string]any{"token": "t1", "port": 5432.0}},
		{Path: "a/db", Data: map[string]any{"password": "p1"}, Custom: map[string]string{"owner": "team-a"}},
	}
	target := newMemTarget()

	dry, err := Run(ctx, secrets, target, Options{DryRun: true})
	if err != nil || dry.Created != 2 || target.writes != 0 {
		t.Fatalf("dry run: %+v %v, %d writes", dry, err, target.writes)
	}
	first, err := Run(ctx, secrets, target, Options{})
	if err != nil || first.Created != 2 || first.Results[0].Path != "a/db" {
		t.Fatalf("first run: %+v %v", first, err)
	}
	writes := target.writes
	second, err := Run(ctx, secrets, target, Options{})
	if err != nil || second.Unchanged != 2 || target.writes != writes {
		t.Fatalf("second run changed something: %+v %v, %d writes after %d", second, err, target.writes, writes)
	}

	// A changed value, and changed metadata: one update each.
	secrets[0].Data["token"] = "t2"
	secrets[1].Custom = map[string]string{"owner": "team-b"}
	third, err := Run(ctx, secrets, target, Options{})
	if err != nil || third.Updated != 2 || target.data["b/api"]["token"] != "t2" || target.custom["a/db"]["owner"] != "team-b" {
		t.Fatalf("third run: %+v %v", third, err)
	}
}

// TestRunNumberVsString: the number 1 and the string "1" are different
// values, so an import that changes a field's JSON type writes.
func TestRunNumberVsString(t *testing.T) {
	ctx := context.Background()
	target := newMemTarget()
	Run(ctx, []Secret{{Path: "p", Data: map[string]any{"n": 1.0}}}, target, Options{})
	s, _ := Run(ctx, []Secret{{Path: "p", Data: map[string]any{"n": "1"}}}, target, Options{})
	if s.Updated != 1 {
		t.Fatalf("a number replaced by a string was not written: %+v", s)
	}
}

func TestRunFailuresAreReportedAndTheRestGoOn(t *testing.T) {
	target := newMemTarget()
	target.fail = "a/bad"
	s, err := Run(context.Background(), []Secret{
		{Path: "a/bad", Data: map[string]any{"port": "x-secret-value"}},
		{Path: "b/good", Data: map[string]any{"k": "v"}},
		{Path: "c/empty", Data: map[string]any{}},
		{Path: "b/good", Data: map[string]any{"k": "v2"}},
	}, target, Options{})
	if !errors.Is(err, ErrSomeFailed) || s.Failed != 3 || s.Created != 1 {
		t.Fatalf("%+v %v", s, err)
	}
	for _, r := range s.Results {
		if strings.Contains(r.Error, "x-secret-value") {
			t.Fatalf("an error shows a value: %s", r.Error)
		}
		if r.Action == Failed && !strings.HasPrefix(r.Error, r.Path+": ") {
			t.Fatalf("an error does not name its path: %s", r.Error)
		}
	}
}
