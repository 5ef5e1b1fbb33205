package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wardhq/ward/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// tok is a fake GitHub token with a valid checksum; no report may hold it
// or a piece of it.
const tok = "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"

func testResult(t *testing.T) *scan.Result {
	t.Helper()
	s, err := scan.New(scan.Config{Key: []byte("golden key")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(t.Context(), []string{"testdata/input"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) < 3 {
		t.Fatalf("testdata/input: %d findings, want at least 3", len(res.Findings))
	}
	// A skipped item and a known-value finding, to cover every field.
	res.Skipped = append(res.Skipped, scan.Skipped{File: "testdata/bomb.zip", Member: "a!b", Err: scan.ErrTooLarge})
	res.Findings = append(res.Findings, scan.Finding{Rule: "known-secret", Description: "a secret stored in ward", Remediation: "rotate it",
		File: "testdata/input", StartLine: 9, EndLine: 9, StartColumn: 1, EndColumn: 20, Fingerprint: "known:0123456789abcdef0123456789abcdef",
		Encoding: "base64", Known: &scan.KnownRef{Path: "payments/db", Field: "password", Version: 3}})
	return res
}

func render(t *testing.T, f Format, res *scan.Result, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f, res, o); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if bytes.Contains(out, []byte(tok[4:12])) || bytes.Contains(out, []byte("Zq8rT2mW")) {
		t.Fatalf("%s report holds part of a secret", f)
	}
	return out
}

func TestGolden(t *testing.T) {
	res := testResult(t)
	for _, f := range Formats {
		out := render(t, f, res, Options{ShowAllowed: true, Version: "test"})
		golden := "testdata/report." + string(f) + ".golden"
		if *update {
			os.WriteFile(golden, out, 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%s report differs from %s (go test -update to accept):\n%s", f, golden, out)
		}
	}
}

func TestJSONFields(t *testing.T) {
	var got []map[string]any
	if err := json.Unmarshal(render(t, JSON, testResult(t), Options{}), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rule", "file", "member", "start_line", "end_line", "start_column", "end_column", "fingerprint", "encoding", "known"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("JSON finding has no %q", k)
		}
	}
	last := got[len(got)-1]["known"].(map[string]any)
	if last["path"] != "payments/db" || last["field"] != "password" || last["version"] != 3.0 {
		t.Errorf("known: %v", last)
	}
}

func TestAllowedHidden(t *testing.T) {
	res := testResult(t)
	all := len(Visible(res.Findings, true))
	shown := len(Visible(res.Findings, false))
	if shown != all-1 {
		t.Errorf("ward:allow: %d shown of %d, want one hidden", shown, all)
	}
}

func TestSARIFSchema(t *testing.T) {
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	validate := func(out []byte) error {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			return err
		}
		return sch.Validate(inst)
	}
	res := testResult(t)
	if err := validate(render(t, SARIF, res, Options{ShowAllowed: true})); err != nil {
		t.Errorf("SARIF report is not valid SARIF 2.1.0: %v", err)
	}
	if err := validate(render(t, SARIF, &scan.Result{}, Options{})); err != nil {
		t.Errorf("empty SARIF report is not valid SARIF 2.1.0: %v", err)
	}
	// The schema must reject what is wrong, or the test above proves nothing.
	bad := bytes.Replace(render(t, SARIF, res, Options{}), []byte(`"startLine": `), []byte(`"startLine": -`), 1)
	var ve *jsonschema.ValidationError
	if err := validate(bad); !errors.As(err, &ve) {
		t.Errorf("a negative startLine passed the schema: %v", err)
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "xml", &scan.Result{}, Options{}); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Errorf("got %v", err)
	}
}
