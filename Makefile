# `make run` and `make test` set everything up themselves on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# The project's packages: what `make run` reloads on (not the virtualenv).
APPS := config core tenants events inventory production spoolman bambu demo insights

.PHONY: venv run test e2e lint format bench bench-scale soak clean

# The background processes as a prefix of the server's command: the worker (webhook deliveries, events/tasks.py)
# and the printer bridge (Bambu Lab printers over MQTT, bambu/bridge.py), started in the background from the
# same shell, and stopped when the server stops (Ctrl-C included).
WITH_WORKER = $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	$(BIN)/python manage.py printer_bridge & bridge=$$!; \
	trap 'kill $$worker $$bridge 2>/dev/null; wait $$worker $$bridge 2>/dev/null' EXIT INT TERM;

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# The settings default to production-safe (DEBUG off); a developer's server runs with DEBUG on
# unless the environment says otherwise.
run: export DEBUG ?= 1
run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  API:      http://$(HOST):$(PORT)/api/v1/"
	@echo "  Docs:     http://$(HOST):$(PORT)/api/v1/docs/"
	@echo "  Admin:    http://$(HOST):$(PORT)/admin/"
	@echo "  Worker:   python manage.py db_worker (webhook deliveries), started beside the server"
	@echo "  Bridge:   python manage.py printer_bridge (Bambu Lab printers over MQTT), started beside the server"
	@echo "  Logins:   see the list printed by seed_demo above (password: $$($(BIN)/python manage.py seed_demo --print-password))"
	@echo ""
	$(WITH_WORKER) $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio \
		--lifespan off --reload $(foreach app,$(APPS),--reload-dir $(app))

test: venv
	$(BIN)/pytest -m "not e2e" -p no:cacheprovider

e2e: venv
	$(BIN)/pytest -m e2e -p no:cacheprovider

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/mypy

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv
	$(BIN)/python -m bench

# 10k against 1M runs, and a deep page of a 200k-run tenant (bench/scale.py; PostgreSQL, about ten minutes).
BENCH_SCALE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pf_bench_scale
bench-scale: venv
	DATABASE_URL=$(BENCH_SCALE_DATABASE_URL) $(BIN)/python -m bench.scale

# A live uWSGI + PostgreSQL under a mixed, retried load, then the ledger audited (bench/soak.py).
SOAK_SECONDS ?= 120
soak: venv
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm
