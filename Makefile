# voipsdn build, test and lab targets. `make demo` and `make test` are the two
# commands the README promises work on a fresh machine (as root).

GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
PKGS     := ./...
# Integration tests start private Open vSwitch instances; internal/ovslab
# serialises them with a lock file, so packages may still run in parallel.
TESTFLAGS ?= -count=1 -timeout 20m

.PHONY: all build test bench lint demo deps clean fuzz

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

test:
	$(GO) vet $(PKGS)
	$(GO) test $(TESTFLAGS) $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@2025.1.1
	"$$($(GO) env GOPATH)/bin/staticcheck" $(PKGS)

# deps installs the Debian packages the lab and the integration tests use.
deps:
	./scripts/install-deps.sh

demo: deps build
	$(BIN)/labdemo

clean:
	rm -rf $(BIN)

# voice-bench measures calls across a congested uplink in the OVS lab (root;
# about 6 minutes) and rewrites docs/voice-quality.md and its plots in docs/img.
.PHONY: voice-bench
VOICE_BENCH_FLAGS ?=
voice-bench: deps build
	$(BIN)/voicebench $(VOICE_BENCH_FLAGS)
