package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// defaultTargets are the platforms a release is built for.
var defaultTargets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}

// config is one release build.
type config struct {
	Version string   // stamped into the binary; names the files
	Out     string   // the directory the files are written to
	Targets []string // GOOS/GOARCH pairs
	Module  string   // the module root to build in; "" for the current directory
	Env     []string // extra environment for go build (tests set GOCACHE)
}

// versionPattern is what a version may look like: it names files and goes
// into a linker flag, so nothing else is let through.
var versionPattern = regexp.MustCompile(`^v?[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`)

// epoch is the time every archive entry carries: a fixed time keeps the
// archives identical from build to build.
var epoch = time.Unix(0, 0).UTC()

// build writes the release files and returns their names, relative to Out.
func build(c config) ([]string, error) {
	if !versionPattern.MatchString(c.Version) {
		return nil, fmt.Errorf("version %q: use letters, digits and . + _ - only (for example v1.2.3)", c.Version)
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, err
	}
	var files []string
	sums := map[string]string{}
	var sbomBinary string
	for _, target := range c.Targets {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(target), "/")
		if !ok || goos == "" || goarch == "" {
			return nil, fmt.Errorf("target %q: want GOOS/GOARCH, for example linux/amd64", target)
		}
		name := fmt.Sprintf("ward_%s_%s_%s", c.Version, goos, goarch)
		bin := filepath.Join(c.Out, name, "ward")
		if err := goBuild(c, goos, goarch, bin); err != nil {
			return nil, fmt.Errorf("%s: %w", target, err)
		}
		if sbomBinary == "" || target == "linux/amd64" {
			sbomBinary = bin
		}
		archive := name + ".tar.gz"
		sum, err := writeArchive(filepath.Join(c.Out, archive), name, bin)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target, err)
		}
		sums[archive] = sum
		files = append(files, archive)
	}
	sbom := fmt.Sprintf("ward_%s.sbom.cdx.json", c.Version)
	body, err := cycloneDX(sbomBinary, c.Version)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.Out, sbom), body, 0o644); err != nil {
		return nil, err
	}
	sums[sbom] = sha256Hex(body)
	files = append(files, sbom)

	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var list bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&list, "%s  %s\n", sums[n], n)
	}
	if err := os.WriteFile(filepath.Join(c.Out, "SHA256SUMS"), list.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return append(files, "SHA256SUMS"), nil
}

// goBuild builds cmd/ward for one platform, reproducibly: no cgo, no paths
// of this machine (-trimpath), no VCS stamp or build id that would differ
// between two checkouts of the same commit.
func goBuild(c config, goos, goarch, out string) error {
	ldflags := "-s -w -buildid= -X main.version=" + c.Version
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/ward")
	cmd.Dir = c.Module
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=-mod=readonly")
	cmd.Env = append(cmd.Env, c.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// writeArchive packs bin as DIR/ward into a gzip'd tar with fixed metadata
// and returns the archive's SHA-256.
func writeArchive(path, dir, bin string) (string, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	gz.ModTime = epoch // gzip's header: no time, no name
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{
		Name:    dir + "/ward",
		Mode:    0o755,
		Size:    int64(len(data)),
		ModTime: epoch,
		Format:  tar.FormatPAX,
		Uname:   "root", Gname: "root",
		Typeflag: tar.TypeReg,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return "", err
	}
	if _, err := tw.Write(data); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := gz.Close(); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return sha256Hex(buf.Bytes()), nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// gitVersion is `git describe --tags --always --dirty`, the version a build
// from a checkout stamps by default.
func gitVersion() (string, error) {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return "", fmt.Errorf("git describe: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
