# The product's commands. The two that matter:
#   make run    the whole product on this machine, with a demo organisation
#   make test   every test, against real PostgreSQL, Redis and NATS
SHELL := /bin/bash
GO    ?= go
BIN   := bin/crm

.PHONY: run test test-pgbouncer pgbouncer check-deploy services build image generate compose check-generated lint bench bench-go migrate demo seed-data clean

## run: start the services, migrate, create the demo organisation, serve the gateway (:4000) and every subgraph
run: services build
	$(BIN) migrate
	$(BIN) demo
	$(BIN) all

## test: start the services (and Chromium for the playground check), run the whole suite with the race detector, then check-deploy
test: services
	@deploy/dev/chromium.sh
	$(GO) test -race -count=1 ./...
	$(MAKE) check-deploy

## check-deploy: build the image without Docker and check it, render the kustomize base and overlay and decode every object strictly, parse deploy/compose.yaml (deploy/ is its own Go module: kustomize, k8s.io/api and compose-go stay out of the product's go.mod)
check-deploy:
	cd deploy && $(GO) test -count=1 ./...

## test-pgbouncer: the gateway's and every subgraph's tests again, through PgBouncer (127.0.0.1:6432, transaction pooling); without -race to keep CI short (make test has the race detector)
test-pgbouncer: services pgbouncer
	@deploy/dev/chromium.sh
	@eval "$$(deploy/dev/pgbouncer.sh)" && export TEST_DATABASE_URL TEST_DATABASE_DIRECT_URL && \
	  export TEST_DB_SUFFIX="$${TEST_DB_SUFFIX}_pgb" && \
	  echo "TEST_DATABASE_URL=$$TEST_DATABASE_URL" && \
	  $(GO) test -count=1 ./gateway/ ./subgraphs/...

## pgbouncer: make sure PgBouncer runs on 127.0.0.1:6432 in front of PostgreSQL (install it if needed)
pgbouncer: services
	@deploy/dev/pgbouncer.sh >/dev/null

## services: make sure PostgreSQL, Redis and NATS JetStream run on 127.0.0.1 (install them if needed)
services:
	@deploy/dev/services.sh

build:
	$(GO) build -o $(BIN) ./cmd/crm

## image: the container image without Docker (deploy/image): bin/image/oci (OCI layout) and bin/image/crm.tar (docker load, crane push)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
image:
	cd deploy && $(GO) run ./image -src .. -out ../bin/image -version $(VERSION)

migrate: build
	$(BIN) migrate

demo: build
	$(BIN) demo

## seed-data: an organisation full of generated data (SIZE=small|board|large|tiny, TENANTS=N for N organisations)
SIZE    ?= small
TENANTS ?= 0
seed-data: services build
	$(BIN) migrate
	$(BIN) seed --size $(SIZE) --tenants $(TENANTS)

## generate: regenerate gqlgen and sqlc code (committed; never edit it by hand)
generate:
	$(GO) tool sqlc generate
	$(GO) run ./cmd/gqlgen-subgraphs

## compose: write each subgraph's SDL, compose the supergraph (wgc and @apollo/composition), regenerate docs/api.md
compose:
	gateway/compose/compose.sh
	$(GO) run ./cmd/apidocs

## check-generated: fail when generated or composed files are stale
check-generated: generate
	@git diff --exit-code -- '*.go' 'gqlgen.yml' || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- subgraphs pkg)" || { git status --short -- subgraphs pkg; echo "make generate created files: commit them"; exit 1; }
	gateway/compose/compose.sh --check
	$(GO) run ./cmd/apidocs -check

## lint: go.mod tidy, gofmt, go vet, staticcheck (gqlgen's generated federation.go trips SA4004: filtered), and the adding-a-field walk-through still applies
lint:
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "not gofmt-clean:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	@cd deploy && { $(GO) mod tidy -diff >/dev/null || { echo "deploy/go.mod is not tidy: cd deploy && go mod tidy"; exit 1; }; } && $(GO) vet ./...
	@out=$$($(GO) tool staticcheck ./... | grep -v '/graph/federation.go:.*SA4004' || true); test -z "$$out" || { echo "$$out"; exit 1; }
	@docs/adding-a-field.sh

## bench: the load harness (bench/): seeds its own database, runs the product as separate processes, drives wrk and pgbench, writes docs/performance.md (BENCH_QUICK=1: seconds per run)
bench: services build
	@command -v wrk >/dev/null || sudo apt-get install -y wrk || { echo "make bench needs wrk (Debian: apt-get install wrk)"; exit 1; }
	@command -v pgbench >/dev/null || { echo "make bench needs pgbench (Debian: apt-get install postgresql-contrib or postgresql-client)"; exit 1; }
	$(GO) run ./bench -crm $(BIN)

## bench-go: the Go benchmarks the issues' notes quote
bench-go: services
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/tenancy/ ./pkg/auth/ ./pkg/events/

clean:
	rm -rf bin
