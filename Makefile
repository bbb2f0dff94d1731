# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
LISTEN ?= 0.0.0.0:8000

.PHONY: run test test-unit fuzz deps build release devdb-start devdb-stop clean bench bench-micro

## make run: install, build, start a local database unless one answers, migrate, serve on 0.0.0.0:8000
run: deps build
	scripts/run $(LISTEN)

## make test: a fresh PostgreSQL on a free port, every test, the cluster removed afterwards
test: deps
	scripts/test

## make test-unit: only the suites that need no database (no PostgreSQL started); scripts/test-unit lists the others
test-unit: deps
	scripts/test-unit

## make bench: the API under load (wrk) beside pgbench's ceiling for the same SQL, then the micro-benchmarks; JSON in bench-results/
bench:
	scripts/bench

bench-micro:
	scripts/bench-micro

## make fuzz: schemathesis against a live server with the API's OpenAPI document (FUZZ_EXAMPLES per operation)
fuzz: deps
	scripts/fuzz

deps:
	@scripts/install-deps

build:
	swift build --product manage

## make release: the optimised binary as make bench measures it (static runtime, ordered code): .build-release/release/manage
release:
	bash -c 'source Benchmarks/load/release-build.sh && release_build .build-release'

devdb-start: deps
	scripts/devdb start
devdb-stop:
	scripts/devdb stop

clean:
	rm -rf .build
