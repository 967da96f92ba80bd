# Klinikadgang: `make run` starts everything for a newcomer; `make test` runs lint and the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: setup setup-dev run test lint test-sqlite test-postgres translations translations-update assets chromium serve bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# An OpenID Provider nobody here wrote (panva's oidc-provider): a broker stand-in for the tests,
# the reference OP of the benchmark.
tests/peers/node_modules/.installed: tests/peers/package.json tests/peers/package-lock.json
	npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed $(VENV)/.installed
	$(PY) scripts/build_assets.py

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -d app/translations

## set-up: Python and npm dependencies, front-end assets, compiled translations
setup: $(VENV)/.installed node_modules/.installed assets translations

setup-dev: setup $(VENV)/.dev-installed tests/peers/node_modules/.installed chromium

chromium:
	@bash scripts/ensure_chromium.sh

## run: migrations, demo data, then the app + MitID simulator + mail outbox on 127.0.0.1
run: setup
	$(PY) -m flask --app wsgi db-upgrade
	$(PY) -m flask --app wsgi seed-demo
	PORT=$(PORT) $(PY) scripts/devserver.py

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

test-sqlite: setup-dev
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: setup-dev
	@if $(PY) scripts/postgres_available.py "$(POSTGRES_TEST_URL)"; then \
		DATABASE_URL="$(POSTGRES_TEST_URL)" $(VENV)/bin/pytest $(PYTEST_ARGS); \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but not reachable at $(POSTGRES_TEST_URL)"; exit 1; \
	else \
		echo "PostgreSQL not reachable: the PostgreSQL run is skipped."; \
	fi

## test: set-up, lint, the whole suite on SQLite and again on PostgreSQL
test: setup-dev lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) node_modules app/static/vendor

## translations-update: extract the Danish msgids and merge them into the English catalogue
translations-update: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o app/translations/messages.pot app
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

## serve: production-style server: migrations, then gunicorn with gunicorn.conf.py; workers, threads,
## HOST/PORT, DATABASE_URL, REDIS_URL, SECRET_KEY, ... come from the environment (see the README)
serve: setup
	$(PY) -m flask --app wsgi db-upgrade
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

## bench: the benchmark table on loopback (PostgreSQL and Redis on 127.0.0.1; BENCH_ARGS=--quick)
bench: setup tests/peers/node_modules/.installed
	$(PY) -m bench.run $(BENCH_ARGS)
