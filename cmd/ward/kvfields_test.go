package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/types"
)

func TestParseFieldArgs(t *testing.T) {
	tests := []struct {
		args    []string
		want    string // name:source per field
		wantErr string
	}{
		{[]string{"host=db", "password=@pw.txt", "token=-", "pin"}, "host:literal password:file token:stdin pin:prompt", ""},
		{[]string{"url=postgres://a=b"}, "url:literal", ""},
		{[]string{"=x"}, "", "argument 2 has no field name"},
		{[]string{"a=1", "a=2"}, "", `field "a" is given twice`},
		{[]string{"a=-", "b=-"}, "", "only one field can come from stdin"},
		{[]string{"a=@"}, "", `field "a": @ needs a file name`},
	}
	for _, tt := range tests {
		fs, err := parseFieldArgs(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: %v, want …%s…", tt.args, err, tt.wantErr)
			}
			continue
		}
		var got []string
		for _, f := range fs {
			got = append(got, f.name+":"+f.source)
		}
		if strings.Join(got, " ") != tt.want || err != nil {
			t.Errorf("%v: %v %v, want %s", tt.args, got, err, tt.want)
		}
	}
}

// The argv rule: a literal only for a field the type marks non-sensitive,
// and the refusal never quotes the value.
func TestCheckLiterals(t *testing.T) {
	pg := types.Builtin("postgres")
	tests := []struct {
		args     []string
		typ      *types.Type
		typeName string
		want     string
	}{
		{[]string{"host=db", "port=5432", "password=@f"}, pg, "postgres", ""},
		{[]string{"password=hunter2"}, pg, "postgres", `field "password" cannot be given on the command line: type postgres marks it sensitive`},
		{[]string{"url=postgres://u:hunter2@h/db"}, pg, "postgres", `field "url" cannot be given`},
		{[]string{"note=hunter2"}, nil, "", `dev/a/b has no type, so every field is sensitive`},
		{[]string{"note=hunter2"}, nil, "custom", `type custom cannot be read with this token`},
		{[]string{"note=hunter2"}, nil, unreadableType, `this token cannot read the metadata of dev/a/b`},
		{[]string{"note=@f", "other=-", "third"}, nil, "", ""},
	}
	for _, tt := range tests {
		fs, err := parseFieldArgs(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		err = checkLiterals(fs, tt.typ, tt.typeName, "dev", "a/b")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%v: %q, want …%s…", tt.args, got, tt.want)
		}
		if strings.Contains(got, "hunter2") {
			t.Errorf("%v: the refusal quotes the value", tt.args)
		}
	}
}

func TestFieldsObject(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	g := testGlobals(strings.NewReader("from-stdin\r\n"), &bytes.Buffer{}, &bytes.Buffer{})
	fs, _ := parseFieldArgs([]string{"host=db", "port=5432", "password=@" + pw, "user=-", "database=007"})
	got, err := fieldsObject(g, fs, types.Builtin("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"database":"007","host":"db","password":"s3cret","port":5432,"user":"from-stdin"}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Untyped: every value is text.
	fs, _ = parseFieldArgs([]string{"port=@" + pw})
	if got, _ := fieldsObject(g, fs, nil); string(got) != `{"port":"s3cret"}` {
		t.Errorf("untyped: %s", got)
	}
	fs, _ = parseFieldArgs([]string{"pin"})
	if _, err := fieldsObject(g, fs, nil); err == nil || !strings.Contains(err.Error(), "no terminal to ask on") {
		t.Errorf("prompt without a terminal: %v", err)
	}
}
