# make test runs every check CI runs: formatting, vet, and every test with the
# race detector. Anything a test needs that is missing is installed here.
GO ?= go
# Tools that make installs with go install (sops) land here; the tests find
# them on PATH.
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN_DIR):$(PATH)
SOPS_VERSION := v3.13.3

.PHONY: test fmt-check vet unit tools build release bench clean

test: fmt-check vet tools unit

# tools installs what the end-to-end tests need beyond Go: a Rust compiler,
# to build the Rust binaries ward scan must see into, and PostgreSQL, for the
# storage driver and the database engine (Debian's packages when the machine
# has none; the tests are skipped, and say so, where neither is possible).
# The tests start a private PostgreSQL cluster of their own (internal/pgtest);
# once it is installed, WARD_TEST_PG_REQUIRED=1 turns a skip into a failure.
# sops, for `ward import sops`, comes from the Go module proxy; Chromium, for
# the dashboard's browser tests, from Debian.
tools:
	@{ rustc --version && cargo --version; } >/dev/null 2>&1 || \
	{ "$$HOME/.cargo/bin/rustc" --version && "$$HOME/.cargo/bin/cargo" --version; } >/dev/null 2>&1 || { \
		echo "make: installing rustc and cargo (Debian packages) for the Rust end-to-end tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc cargo >/dev/null; } \
		|| echo "make: could not install rustc; the Rust end-to-end tests will be skipped"; }
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "make: installing PostgreSQL (Debian package) for the storage and database-engine tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
		|| echo "make: could not install PostgreSQL; the tests that need it will be skipped"; }
	@chromium --version >/dev/null 2>&1 || { \
		echo "make: installing chromium and chromium-driver (Debian packages) for the dashboard's browser tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
		|| echo "make: could not install Chromium; the browser tests will be skipped"; }
	@sops --version >/dev/null 2>&1 || { \
		echo "make: installing sops $(SOPS_VERSION) (go install) for the ward import tests"; \
		GOBIN="$(GOBIN_DIR)" $(GO) install github.com/getsops/sops/v3/cmd/sops@$(SOPS_VERSION) \
		|| echo "make: could not install sops; the SOPS import test will be skipped"; }

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt: these files need 'gofmt -w':"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		export WARD_TEST_PG_REQUIRED=1; fi; \
	if sops --version >/dev/null 2>&1; then export WARD_TEST_SOPS_REQUIRED=1; fi; \
	if chromium --version >/dev/null 2>&1; then export WARD_TEST_BROWSER_REQUIRED=1; fi; \
	if command -v cargo >/dev/null 2>&1 || [ -x "$$HOME/.cargo/bin/cargo" ]; then export WARD_TEST_CARGO_REQUIRED=1; fi; \
	$(GO) test -race -count=1 -timeout 20m ./...

build:
	$(GO) build -o bin/ward ./cmd/ward

# release writes reproducible release files to dist/: one archive per
# platform (linux and darwin, amd64 and arm64), SHA256SUMS and a CycloneDX
# SBOM. VERSION defaults to `git describe --tags --always --dirty`.
# The same commit and Go toolchain give the same bytes anywhere
# (tools/release's test builds twice and compares). The container image is
# defined in Containerfile and built from dist/.
VERSION ?=
release:
	$(GO) run ./tools/release -out dist $(if $(VERSION),-version $(VERSION))

clean:
	rm -rf bin dist
