# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
DATABASE_URL ?= postgresql://django@localhost:26257/bank?sslmode=disable
LISTEN ?= 0.0.0.0:8000
MANAGE := .build/debug/manage

.PHONY: run test deps build release devdb-start devdb-stop clean

## make run: install, build, start a local database unless one answers, migrate, serve on 0.0.0.0:8000
run: deps build
	@if pg_isready -q -d "$(DATABASE_URL)"; then \
	  echo "Using the database that answers at $$(echo '$(DATABASE_URL)' | sed -E 's#://([^:@/]*):[^@/]*@#://\1:****@#')"; \
	else \
	  scripts/devdb start --port "$$(psql -d "$(DATABASE_URL)" -XtAc '' 2>/dev/null; python3 -c 'import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).port or 26257)' '$(DATABASE_URL)')"; \
	fi
	DATABASE_URL='$(DATABASE_URL)' $(MANAGE) migrate
	DATABASE_URL='$(DATABASE_URL)' $(MANAGE) runserver $(LISTEN)

## make test: a fresh PostgreSQL on a free port, every test, the cluster removed afterwards
test: deps
	scripts/test

deps:
	@scripts/install-deps

build:
	swift build --product manage

release:
	swift build -c release --product manage

devdb-start: deps
	scripts/devdb start
devdb-stop:
	scripts/devdb stop

clean:
	rm -rf .build
