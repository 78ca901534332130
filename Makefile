# The two commands of the README: `make run` and `make test`. Each sets itself up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup browser lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# `make run PORT=8080` where 8000 is taken (a contributor's pass: make run took no port).
PORT ?= 8000
run: setup
	$(VENV)/bin/latent-explorer serve --checkpoints checkpoints --port $(PORT)

# The browser tests drive Debian's Chromium (Playwright's own download does not work here).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: setup browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: setup browser
	command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	$(PY) bench/train_throughput.py
	$(PY) bench/http_load.py
	$(PY) bench/browser_latency.py

clean:
	rm -rf $(VENV) .pytest_cache artifacts
