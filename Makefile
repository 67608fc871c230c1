# Stargate. `make help` lists the targets.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GO ?= go
BIN := bin/stargate
export TESTCONTAINERS_RYUK_DISABLED := true

.PHONY: help build test test-go test-python images run bench lint fmt clean fuzz fuzz-short fuzz-one

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/stargate
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/stargate

images: ## build every container image from Debian packages (no registry needed)
	bash deploy/images/build.sh all

run: build images ## run the platform on the local Docker engine
	$(BIN)

test: images lint test-python test-go ## run every test (unit, integration, Python, fuzz seeds)

# -p 1: the integration tests measure latencies and count containers; other
# packages' Docker builds running beside them would only add noise.
test-go:
	$(GO) test -count=1 -p 1 -timeout 45m ./...

test-python: ## the checker's and runner's tests, inside the runtime image
	docker run --rm --network none --read-only --user 65534:65534 \
		-v "$(CURDIR)/runtimes/python:/src:ro" -w /src --tmpfs /tmp \
		--entrypoint /usr/bin/python3 stargate/python-runtime:dev \
		-B -m unittest discover -s tests -v 2>&1 | tail -n 40; exit $${PIPESTATUS[0]}

# Every fuzz target, as package:Target.
FUZZ_TARGETS := ./api:FuzzLoadBody ./api:FuzzPaths ./platform/sandbox:FuzzValidNames \
	./platform/gateway:FuzzReadResponse ./platform/pybind:FuzzBinding
FUZZTIME ?= 30s
# Go spends up to 60s minimising each new input by default; a FuzzBinding
# attempt is a round trip to Python, so cap it.
FUZZMINIMIZETIME ?= 3s

fuzz: ## run every fuzz target for FUZZTIME each (default 30s); a crasher fails it
	@failed=; for t in $(FUZZ_TARGETS); do \
		$(MAKE) --no-print-directory fuzz-one FUZZ_PKG=$${t%%:*} FUZZ_TARGET=$${t##*:} || failed="$$failed $${t##*:}"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed"; exit 1; fi; echo "fuzz: every target passed"

fuzz-short: ## every fuzz target for 10s each (CI)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10s

# fuzz-one runs FUZZ_TARGET of FUZZ_PKG for FUZZTIME. A failure names the
# failing input: the file Go wrote under testdata/fuzz, or the seed corpus
# entry that failed. Go 1.26's coordinator sometimes ends a run that found
# nothing with a bare "context deadline exceeded" (golang/go#75804, fixed in
# Go 1.27): in exactly that case (that line, and no new file under
# testdata/fuzz/FUZZ_TARGET) the target is run once more, so CI is not flaky.
fuzz-one:
	@corpus=$(FUZZ_PKG)/testdata/fuzz/$(FUZZ_TARGET); log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	before=$$(ls "$$corpus" 2>/dev/null); \
	for attempt in 1 2; do \
		echo "fuzz: $(FUZZ_TARGET) ($(FUZZ_PKG)) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz '^$(FUZZ_TARGET)$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $(FUZZ_PKG) 2>&1 | tee "$$log"; \
		status=$${PIPESTATUS[0]}; \
		execs=$$(grep -o 'execs: [0-9]*' "$$log" | tail -n 1 | cut -d' ' -f2); \
		if [ "$$status" = 0 ]; then echo "fuzz: $(FUZZ_TARGET) passed, $${execs:-0} executions"; exit 0; fi; \
		new=$$(comm -13 <(echo "$$before") <(ls "$$corpus" 2>/dev/null)); \
		for f in $$new; do echo "fuzz: $(FUZZ_TARGET) FAILED on a new input: $$corpus/$$f"; done; \
		seed=$$(sed -n 's/.*failure while testing seed corpus entry: $(FUZZ_TARGET)\/\([^ ]*\).*/\1/p' "$$log" | head -n 1); \
		if [ -n "$$seed" ]; then \
			cache=$$($(GO) env GOCACHE)/fuzz/$$($(GO) list $(FUZZ_PKG))/$(FUZZ_TARGET); \
			if [ -f "$$corpus/$$seed" ]; then echo "fuzz: $(FUZZ_TARGET) FAILED on a corpus input: $$corpus/$$seed"; \
			elif [ -f "$$cache/$$seed" ]; then echo "fuzz: $(FUZZ_TARGET) FAILED on an input of the fuzz cache: $$cache/$$seed"; \
			else echo "fuzz: $(FUZZ_TARGET) FAILED on its f.Add $$seed"; fi; \
		fi; \
		if [ -n "$$new$$seed" ]; then exit 1; fi; \
		if [ $$attempt = 1 ] && grep -qx '[[:space:]]*context deadline exceeded' "$$log"; then \
			echo "fuzz: $(FUZZ_TARGET) ended with Go's spurious deadline error (golang/go#75804) and no crasher: once more"; \
			continue; \
		fi; \
		echo "fuzz: $(FUZZ_TARGET) FAILED (see above)"; exit 1; \
	done

bench: build images ## gateway vs direct, see bench/README.md
	bash bench/run.sh

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
