package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproducible builds the linux/amd64 release twice, the second time
// with an empty build cache (every package compiled anew) into another
// directory, and requires the same bytes: same archive, same SBOM, same
// SHA256SUMS. It also checks what the files hold: the binary reports the
// stamped version, the archive has one entry with fixed metadata, and the
// SBOM names modules ward is built from.
func TestReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ward twice from scratch; skipped with -short")
	}
	module, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	const version = "v0.0.0-test"
	a, b := t.TempDir(), t.TempDir()
	if _, err := build(config{Version: version, Out: a, Targets: []string{"linux/amd64"}, Module: module}); err != nil {
		t.Fatal(err)
	}
	if _, err := build(config{Version: version, Out: b, Targets: []string{"linux/amd64"}, Module: module,
		Env: []string{"GOCACHE=" + t.TempDir()}}); err != nil {
		t.Fatal(err)
	}
	sumsA, _ := os.ReadFile(filepath.Join(a, "SHA256SUMS"))
	sumsB, _ := os.ReadFile(filepath.Join(b, "SHA256SUMS"))
	if len(sumsA) == 0 || !bytes.Equal(sumsA, sumsB) {
		t.Fatalf("two builds differ:\n%s\n---\n%s", sumsA, sumsB)
	}
	for _, want := range []string{"ward_v0.0.0-test_linux_amd64.tar.gz", "ward_v0.0.0-test.sbom.cdx.json"} {
		if !strings.Contains(string(sumsA), "  "+want+"\n") {
			t.Errorf("SHA256SUMS lacks %s:\n%s", want, sumsA)
		}
	}
	// A user checks a download with sha256sum, as the CI install steps do.
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = a
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}

	// The archive: one executable entry, epoch time, owned by root.
	f, err := os.Open(filepath.Join(a, "ward_v0.0.0-test_linux_amd64.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Name != "ward_v0.0.0-test_linux_amd64/ward" || hdr.Mode != 0o755 || hdr.ModTime.Unix() != 0 || hdr.Uid != 0 {
		t.Fatalf("archive entry: %+v", hdr)
	}
	bin, _ := io.ReadAll(tr)
	if _, err := tr.Next(); err != io.EOF {
		t.Fatalf("archive has more than one entry: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "ward")
	os.WriteFile(exe, bin, 0o755)
	out, err := exec.Command(exe, "version").Output()
	if err != nil || !strings.Contains(string(out), version) {
		t.Fatalf("ward version from the archive: %q %v", out, err)
	}

	// The SBOM lists what is compiled in.
	var sbom struct {
		BOMFormat  string `json:"bomFormat"`
		Serial     string `json:"serialNumber"`
		Components []struct{ Name, Version, PURL string }
	}
	body, _ := os.ReadFile(filepath.Join(a, "ward_v0.0.0-test.sbom.cdx.json"))
	if err := json.Unmarshal(body, &sbom); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range sbom.Components {
		names[c.Name] = true
	}
	if sbom.BOMFormat != "CycloneDX" || !strings.HasPrefix(sbom.Serial, "urn:uuid:") ||
		!names["go.etcd.io/bbolt"] || !names["github.com/spf13/cobra"] {
		t.Fatalf("sbom: format %q serial %q, %d components", sbom.BOMFormat, sbom.Serial, len(sbom.Components))
	}
}

// TestBadVersion: a version that could smuggle flags or paths is refused
// before anything is built.
func TestBadVersion(t *testing.T) {
	for _, v := range []string{"", "v1 -X main.x=y", "../../etc", "v1/2"} {
		if _, err := build(config{Version: v, Out: t.TempDir(), Targets: []string{"linux/amd64"}}); err == nil {
			t.Errorf("version %q was accepted", v)
		}
	}
}
