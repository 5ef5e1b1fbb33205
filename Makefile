# make test runs every check CI runs: formatting, vet, and every test with the
# race detector. Anything a test needs that is missing is installed here.
GO ?= go

.PHONY: test fmt-check vet unit build bench clean

test: fmt-check vet unit

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
