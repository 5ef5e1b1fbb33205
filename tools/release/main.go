// Command release builds ward's release files, reproducibly:
//
//	go run ./tools/release -version v1.2.3 -out dist
//
// For each target (linux and darwin, amd64 and arm64) it builds cmd/ward
// with -trimpath, no cgo, no build id and the version stamped in, and packs
// it into ward_VERSION_OS_ARCH.tar.gz with fixed times, owners and modes.
// Beside the archives it writes SHA256SUMS (in sha256sum's format, so
// `sha256sum -c --ignore-missing SHA256SUMS` checks a download) and
// ward_VERSION.sbom.cdx.json, a CycloneDX SBOM of the modules compiled in,
// read from the built binary itself.
//
// The same source and Go toolchain give the same bytes on any machine and in
// any directory: `make release` twice, or on two machines, gives identical
// SHA256SUMS. The test in this package builds twice and compares.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	version := flag.String("version", "", "the version to stamp, e.g. v1.2.3 (default: git describe --tags --always --dirty)")
	out := flag.String("out", "dist", "the directory to write the release files to")
	targets := flag.String("targets", strings.Join(defaultTargets, ","), "comma-separated GOOS/GOARCH pairs")
	flag.Parse()

	v := *version
	if v == "" {
		var err error
		if v, err = gitVersion(); err != nil {
			fmt.Fprintln(os.Stderr, "release:", err)
			fmt.Fprintln(os.Stderr, "hint: pass -version v1.2.3 outside a git checkout")
			os.Exit(1)
		}
	}
	files, err := build(config{Version: v, Out: *out, Targets: strings.Split(*targets, ",")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(f)
	}
}
