# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
LISTEN ?= 0.0.0.0:8000

.PHONY: run test test-unit fuzz deps build release devdb-start devdb-stop clean bench bench-peer bench-micro

## make run: install, build, start a local database unless one answers, migrate, serve on 0.0.0.0:8000
run: deps build
	scripts/run $(LISTEN)

## make test: a fresh PostgreSQL on a free port, every test, the cluster removed afterwards
test: deps
	scripts/test

## make test-unit: only the suites that need no database (no PostgreSQL started); scripts/test-unit lists the others
test-unit: deps
	scripts/test-unit

## make bench: the API under load (wrk), each scenario BENCH_REPEAT times (3) on fresh tables, median and worst run,
## beside pgbench's ceiling for the same SQL (BENCH_PEER=1: and beside Benchmarks/peer), then the micro-benchmarks;
## fails when a run had errors; JSON in bench-results/
bench:
	scripts/bench

## make bench-peer: the scenarios on this project and on Benchmarks/peer (Hummingbird 2 + postgres-nio), side by side
## with the ratio ours/peer; without the stream, makemigrations and micro-benchmark parts unless asked for
bench-peer:
	BENCH_PEER=1 BENCH_MICRO=$${BENCH_MICRO:-0} BENCH_STREAM_ROWS=$${BENCH_STREAM_ROWS:-0} BENCH_MODELS=$${BENCH_MODELS:-0} scripts/bench

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
