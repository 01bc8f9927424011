# Two commands: `make run` (serve the app on embedded defaults) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Development targets run with DEBUG on explicitly (settings default to off); `DEBUG=false make run` overrides.
DEBUG ?= true
# The slowest tests are printed after every run, so the suite's time budget can be watched from CI logs.
PYTEST_ARGS ?= --durations=30

.PHONY: run test venv deps dev-deps js-deps lock migrate demo lint js-lint js-test format cluster worker bench bots clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Installs come from the lock files: every package, direct and indirect, pinned with its hashes.
# requirements*.txt are the human-edited lists; `make lock` turns them into requirements*.lock.
$(VENV)/.deps: requirements.lock $(VENV)/bin/activate
	$(PIP) install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

$(VENV)/.dev-deps: requirements.lock requirements-dev.lock $(VENV)/bin/activate
	$(PIP) install --quiet --require-hashes --no-deps -r requirements-dev.lock
	touch $(VENV)/.deps $@

# The browser client's tools (eslint, prettier), exactly as package-lock.json pins them.
node_modules/.ci: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## lock: regenerate requirements.lock and requirements-dev.lock after editing requirements*.txt
## (the dev lock is constrained by the runtime one, so both agree). `make lock UPGRADE=1` also
## moves unpinned indirect dependencies to their newest releases. Needs pip-tools (installed on demand).
PIP_COMPILE_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: $(VENV)/bin/activate
	$(PIP) install --quiet "pip-tools>=7.4"
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(PIP_COMPILE_FLAGS) -o requirements.lock requirements.txt
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(PIP_COMPILE_FLAGS) -c requirements.lock -o requirements-dev.lock requirements-dev.txt

venv: $(VENV)/bin/activate
deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps
js-deps: node_modules/.ci

migrate: deps
	DEBUG=$(DEBUG) $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$(DEBUG) $(PY) manage.py seed_demo

## run: set up and serve at http://$(HOST):$(PORT) (SQLite + in-memory layer unless DATABASE_URL/REDIS_URL are set).
## Without REDIS_URL tasks run inside the server (realtime/inprocess_tasks.py), so "Process" updates the page live;
## with REDIS_URL the task worker runs beside the server. Both stop on Ctrl-C.
run: demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@trap 'kill 0' INT TERM EXIT; \
	if [ -n "$$REDIS_URL" ]; then DEBUG=$(DEBUG) $(PY) manage.py db_worker --interval 0.5 --no-reload & fi; \
	DEBUG=$(DEBUG) $(PY) -m daphne -v 0 -b $(HOST) -p $(PORT) config.asgi:application

worker: deps
	DEBUG=$(DEBUG) $(PY) manage.py db_worker

# Two headless browser bots (scripts/bots.py) against a running server (`make run` in another
# terminal: its demo users alice and bob); they stay until Ctrl-C. BOTS_ARGS="--timeout 30" etc.
bots: dev-deps
	$(PY) scripts/bots.py --base-url http://$(HOST):$(PORT) --stay $(BOTS_ARGS)

## test: set up and run the linters (ruff, mypy, eslint, prettier, tsc), the JS unit tests and the whole suite.
test: dev-deps js-lint js-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: dev-deps js-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

## js-lint / js-test: the browser client (static/js): eslint, prettier --check, tsc on the `// @ts-check` JSDoc types,
## and node's test runner.
js-lint: js-deps
	npx --no-install eslint static/js eslint.config.js
	npx --no-install prettier --check static/js eslint.config.js jsconfig.json
	npx --no-install tsc -p jsconfig.json

js-test: js-deps
	node --test static/js/tests/

format: dev-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	npx --no-install prettier --write static/js eslint.config.js jsconfig.json

## cluster: the production topology natively: 2 uvicorn processes + 1 worker (scripts/cluster.py).
## `run` keeps daphne (Channels' runserver server); uvicorn is the production server.
cluster: deps
	DEBUG=$(DEBUG) $(PY) scripts/cluster.py -n 2 --worker

bench: dev-deps
	DEBUG=$(DEBUG) $(PY) -m bench.chat_fanout
	DEBUG=$(DEBUG) $(PY) -m bench.signaling

clean:
	rm -rf $(VENV) node_modules staticfiles artifacts
