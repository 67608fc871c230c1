# Stargate. `make help` lists the targets.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GO ?= go
BIN := bin/stargate
export TESTCONTAINERS_RYUK_DISABLED := true

.PHONY: help build test test-go test-python images run bench lint fmt clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/stargate
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/stargate

images: ## build every container image from Debian packages (no registry needed)
	bash deploy/images/build.sh all

run: build images ## run the platform on the local Docker engine
	$(BIN)

test: images lint test-python test-go ## run every test (unit, integration, Python, fuzz seeds)

test-go:
	$(GO) test -count=1 -timeout 30m ./...

test-python: ## the checker's and runner's tests, inside the runtime image
	docker run --rm --network none --read-only --user 65534:65534 \
		-v "$(CURDIR)/runtimes/python:/src:ro" -w /src --tmpfs /tmp \
		--entrypoint /usr/bin/python3 stargate/python-runtime:dev \
		-B -m unittest discover -s tests -v 2>&1 | tail -n 40; exit $${PIPESTATUS[0]}

bench: build images ## gateway vs direct, see bench/README.md
	bash bench/run.sh

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
