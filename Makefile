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

.PHONY: all build test conformance fuzz bench lint demo deps clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

test:
	$(GO) vet $(PKGS)
	$(GO) test $(TESTFLAGS) $(PKGS)

# conformance runs Faucet's own config test cases against voipsdn's config
# validator, compiler and dashboards. The cases come from Faucet's test
# suite, so they are not in this repository: CORPUS names their directory
# (valid/, invalid/, expected.json, examples/, grafana-dashboards/), e.g.
#   make conformance CORPUS=../shared/faucet-configs
# The tests are built only with -tags conformance, so `make test` never
# sees them. Without CORPUS they skip, except under CI=true where that is
# an error.
CORPUS ?=
CONFORMANCE_PKGS := ./faucet/config ./faucet/pipeline ./dashboards

conformance:
	@if [ -z "$(CORPUS)" ] && [ "$$CI" = true ]; then \
		echo "make conformance: CORPUS=dir is required under CI=true" >&2; exit 1; fi
	$(GO) vet -tags conformance $(CONFORMANCE_PKGS)
	VOIPSDN_FAUCET_CORPUS="$(if $(CORPUS),$(abspath $(CORPUS)))" \
		$(GO) test -tags conformance $(TESTFLAGS) -run Conformance $(CONFORMANCE_PKGS)

# fuzz runs every fuzz target for FUZZTIME, one after another
# (scripts/fuzz.sh says how, and what counts as a failure). Seed corpora
# live in testdata/fuzz/FuzzX of each package; inputs that make a target
# fail are written there too (commit them with the fix). The working corpus
# the fuzzer grows stays in the Go build cache.
FUZZTIME ?= 10s

fuzz:
	GO="$(GO)" FUZZTIME="$(FUZZTIME)" ./scripts/fuzz.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
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
