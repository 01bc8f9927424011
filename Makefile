# Two commands: `make run` (serve the app on embedded defaults) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Development targets run with DEBUG on explicitly (settings default to off); `DEBUG=false make run` overrides.
DEBUG ?= true

.PHONY: run test venv deps dev-deps migrate demo lint format cluster worker bench clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.deps $@

venv: $(VENV)/bin/activate
deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

migrate: deps
	DEBUG=$(DEBUG) $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$(DEBUG) $(PY) manage.py seed_demo

## run: set up and serve at http://$(HOST):$(PORT) (SQLite + in-memory layer unless DATABASE_URL/REDIS_URL are set).
## The task worker runs beside the server so "Process" works; both stop on Ctrl-C.
run: demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@trap 'kill 0' INT TERM EXIT; \
	DEBUG=$(DEBUG) $(PY) manage.py db_worker --interval 0.5 --no-reload & \
	DEBUG=$(DEBUG) $(PY) -m daphne -v 0 -b $(HOST) -p $(PORT) config.asgi:application

worker: deps
	DEBUG=$(DEBUG) $(PY) manage.py db_worker

## test: set up and run ruff, mypy and the whole suite.
test: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

format: dev-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## cluster: the production topology natively: 2 uvicorn processes + 1 worker (scripts/cluster.py).
## `run` keeps daphne (Channels' runserver server); uvicorn is the production server.
cluster: deps
	DEBUG=$(DEBUG) $(PY) scripts/cluster.py -n 2 --worker

bench: dev-deps
	DEBUG=$(DEBUG) $(PY) -m bench.chat_fanout
	DEBUG=$(DEBUG) $(PY) -m bench.signaling

clean:
	rm -rf $(VENV) staticfiles artifacts
