# make test runs every check CI runs: formatting, vet, and every test with the
# race detector. Anything a test needs that is missing is installed here.
GO ?= go

.PHONY: test fmt-check vet unit tools build bench clean

test: fmt-check vet tools unit

# tools installs what the end-to-end tests need beyond Go: a Rust compiler,
# to build the Rust binaries ward scan must see into (Debian's package when
# the machine has none; the test is skipped, and says so, where neither is
# possible).
tools:
	@command -v rustc >/dev/null 2>&1 || [ -x "$$HOME/.cargo/bin/rustc" ] || { \
		echo "make: installing rustc and cargo (Debian packages) for the Rust end-to-end tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc cargo >/dev/null; } \
		|| echo "make: could not install rustc; the Rust end-to-end tests will be skipped"; }

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt: these files need 'gofmt -w':"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

build:
	$(GO) build -o bin/ward ./cmd/ward

clean:
	rm -rf bin
