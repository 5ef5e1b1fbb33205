package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the generated table of ward server's keys in docs/operating.md")

const operatingDoc = "../../docs/operating.md"

// docSection returns the text between the line that starts with begin and
// the next line that starts with end.
func docSection(t *testing.T, doc, begin, end string) (before, section, after string) {
	t.Helper()
	i := strings.Index(doc, begin)
	if i < 0 {
		t.Fatalf("%s has no %q", operatingDoc, begin)
	}
	i += strings.IndexByte(doc[i:], '\n') + 1
	j := strings.Index(doc[i:], end)
	if j < 0 {
		t.Fatalf("%s has no %q after %q", operatingDoc, end, begin)
	}
	return doc[:i], doc[i : i+j], doc[i+j:]
}

// keysTable is the Markdown table of the config file's keys.
func keysTable(fs *pflag.FlagSet) string {
	var b strings.Builder
	b.WriteString("| key | type | default | what it sets |\n| --- | --- | --- | --- |\n")
	for _, f := range configKeys(fs) {
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" || f.DefValue == "[]" {
			def = "none"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, f.Value.Type(), def, strings.ReplaceAll(f.Usage, "|", `\|`))
	}
	return b.String()
}

// TestOperatingDoc keeps docs/operating.md true to ward server: its table
// lists every key of the config file (every flag), and its example config
// file loads. (e2e runs the systemd unit's command line with it.)
func TestOperatingDoc(t *testing.T) {
	raw, err := os.ReadFile(operatingDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	_, fs := serverFlags(t)
	before, table, after := docSection(t, doc, "<!-- server-flags:", "<!-- end server-flags -->")
	want := keysTable(fs)
	if *updateDocs {
		if err := os.WriteFile(operatingDoc, []byte(before+want+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if table != want {
		t.Errorf("the table of keys in %s is not ward server's flags; run go test ./cmd/ward -run TestOperatingDoc -update-docs and review the diff:\n%s", operatingDoc, want)
	}
	for _, f := range configKeys(fs) {
		if !strings.Contains(table, "| `"+f.Name+"` |") {
			t.Errorf("--%s is not documented in %s", f.Name, operatingDoc)
		}
	}

	example := exampleConfig(t, doc)
	_, fs = serverFlags(t)
	from, err := applyConfig("the example in "+operatingDoc, []byte(example), fs)
	if err != nil {
		t.Fatalf("the example config file does not load:\n%v", err)
	}
	if len(from) < 5 || fs.Lookup("tls-key").Value.String() == "" {
		t.Fatalf("the example set only %v", from)
	}
}

// exampleConfig returns the YAML block after the example marker.
func exampleConfig(t *testing.T, doc string) string {
	t.Helper()
	_, block, _ := docSection(t, doc, "<!-- example: /etc/ward/server.yaml -->", "```\n")
	text, ok := strings.CutPrefix(block, "```yaml\n")
	if !ok {
		t.Fatalf("no ```yaml block right after the example marker in %s", operatingDoc)
	}
	return text
}
