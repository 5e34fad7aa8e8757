# Two commands for a newcomer:  `make run`  and  `make test`.  Both set everything up.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app server
DEB_PACKAGES := libzbar0 fonts-noto-cjk fonts-noto-core fonts-dejavu-core chromium xvfb \
	poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 xauth nodejs nginx wrk
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup system-deps run test lint bench clean

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The browser scanner's decoder (zxing-wasm) and Ed25519 fallback, pinned by
# package-lock.json, copied into server/static/scan/vendor/ (served by the app itself).
node_modules/.vendored: package.json package-lock.json tools/vendor_scan.js
	@# Debian ships npm apart from nodejs; NodeSource's nodejs already contains it.
	@command -v npm >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends npm; }
	npm ci --no-audit --no-fund --loglevel=error
	node tools/vendor_scan.js
	touch $@

# gettext catalogues: the .po files are the source (diffable, merge like text); the .mo
# files are build output, compiled here and gitignored.
PO_FILES := $(wildcard server/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
server/translations/%/LC_MESSAGES/messages.mo: server/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -f -d server/translations -D messages -l $*

setup: system-deps $(VENV)/.installed node_modules/.vendored $(MO_FILES)

run: setup
	$(FLASK) init-db
	$(FLASK) seed-demo
	@echo "Admit is at http://$(HOST):$(PORT)/  (Ctrl-C stops it; emails go to instance/outbox/)"
	ADMIT_BIND=$(HOST):$(PORT) $(BIN)/python -m server.serve

lint: setup
	$(BIN)/ruff check server shared scanner_client tests bench
	$(BIN)/mypy shared scanner_client

test: lint
	$(BIN)/python -m pytest -q --durations=15

bench: setup
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
