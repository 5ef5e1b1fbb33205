package secretdocs

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/plan"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

func render(t *testing.T) (map[string][]byte, []Gap) {
	t.Helper()
	st, err := plan.Load("testdata/ward")
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load("testdata/ward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pages, gaps, err := Render(Input{Dir: "ward", State: st, Manifests: []Manifest{{Path: "ward.yaml", M: m}}, Command: "ward docs"})
	if err != nil {
		t.Fatal(err)
	}
	return pages, gaps
}

func TestGolden(t *testing.T) {
	pages, _ := render(t)
	again, _ := render(t)
	for name, got := range pages {
		if !bytes.Equal(got, again[name]) {
			t.Errorf("%s: two renderings differ", name)
		}
		path := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from testdata/golden; run go test -update and review the diff", name)
		}
	}
	if names := slices.Sorted(func(yield func(string) bool) {
		for n := range pages {
			if !yield(n) {
				return
			}
		}
	}); !slices.Equal(names, []string{"dev.html", "dev.md", "index.html", "index.md", "prod.html", "prod.md"}) {
		t.Errorf("pages %v", names)
	}
}

func TestWhatAnEngineerNeeds(t *testing.T) {
	pages, _ := render(t)
	prod := string(pages["prod.md"])
	for _, want := range []string{
		"`prod/payments/db` (KV v2 at `/v1/prod/data/payments/db`)", // where it lives
		"| owner | team-payments |", "| contact in an incident | #payments-oncall |",
		"[https://wiki.example.com/payments/db](https://wiki.example.com/payments/db)", // runbook
		"rotated every 90d", "dynamic: issued per lease", "expires at 2027-01-31T00:00:00Z",
		"| `password` | string | required | sensitive |", // fields of the type
		"| `ttl` | integer | optional | not sensitive | `1..86400` |",
		"| `api` (go, `ward.yaml`) | `$DATABASE_URL` | `url` | required |", // who reads it
		"`worker` (`$WARD_SECRETS_DIR/db/password`): required", "call #payments-oncall and follow the runbook",
		"`api`: optional — ward run leaves `$SENTRY_DSN` unset and names it in `$WARD_MISSING`; fallback: errors go to stderr only.",
		`pattern ^qt_[a-z0-9\|]{8,}$`, // a | escaped in a table cell
	} {
		if !strings.Contains(prod, want) {
			t.Errorf("prod.md lacks %q", want)
		}
	}
	if strings.Contains(prod, "<b>") {
		t.Error("prod.md lets a description's markup through")
	}
	h := string(pages["prod.html"])
	if strings.Contains(h, "<b>Not</b>") || !strings.Contains(h, "&lt;b&gt;Not&lt;/b&gt;") {
		t.Error("prod.html does not escape a description's markup")
	}
	if !strings.Contains(h, `<a href="https://wiki.example.com/payments/db">`) || !strings.Contains(string(pages["index.html"]), `href="prod.html"`) {
		t.Error("prod.html lacks the runbook link, or index.html links the Markdown")
	}
}

func TestGaps(t *testing.T) {
	pages, gaps := render(t)
	var got []string
	for _, g := range gaps {
		got = append(got, g.Env+"/"+g.Path)
	}
	want := []string{"dev/queue/token", "dev/shared/sentry", "prod/shared/sentry"}
	if !slices.Equal(got, want) {
		t.Fatalf("gaps %v, want %v", got, want)
	}
	if !strings.Contains(gaps[2].Problem, "no owner") || !strings.Contains(gaps[0].Problem, "read by worker ($QUEUE_TOKEN) but not declared for dev") {
		t.Errorf("gaps say %q and %q", gaps[2].Problem, gaps[0].Problem)
	}
	if !strings.Contains(string(pages["index.md"]), "`prod/shared/sentry`: no owner") || !strings.Contains(string(pages["prod.md"]), "**none declared** (a gap)") {
		t.Error("the docs do not list the gap")
	}
}
