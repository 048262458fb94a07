# SalesDesk — the two commands are `make run` and `make test`; everything else is a step they call.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
VENDOR := salesdesk/static/vendor
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup system-deps assets lint check audit messages lock clean bench bench-quick mutants

## make run: set up, migrate the SQLite database in var/, load demo data once, start web server + job worker.
run: setup
	@mkdir -p var
	$(PY) manage.py backup --if-exists --label pre-migrate
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --scale demo --if-empty
	@$(PY) manage.py demo_logins --url http://$(HOST):$(PORT)/
	@trap 'kill 0' INT TERM; \
	  $(PY) manage.py run_huey --workers 2 & \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload & \
	  wait

## make test: the same set-up, then lint, migration check and the whole suite on SQLite.
test: setup system-deps lint check audit
	$(PY) -m pytest

setup: $(VENV)/.installed assets

## make bench: load 2M order lines once per backend (SQLite; PostgreSQL too when DATABASE_URL points at one) and print
## our time next to the limit for every measure (docs/performance.md). make bench-quick: 200k lines, about 5 minutes.
bench: setup
	$(PY) -m bench

bench-quick: setup
	$(PY) -m bench --quick

## make mutants: injected bugs (lock, visibility, import, outbox) in a copy of the tree must fail their tests; MUTANTS="--db postgres".
mutants: setup
	$(PY) scripts/mutants.py $(MUTANTS)

## Debian packages for the tests (browser, fonts, LibreOffice, Redis): installed when run as root.
system-deps:
	bash scripts/system-deps.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.txt -r requirements-dev.txt
	@touch $@

assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/echarts $(VENDOR)/bootstrap-icons
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map $(VENDOR)/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map $(VENDOR)/bootstrap/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	@touch $@

lint: setup
	$(VENV)/bin/ruff check .

check: setup
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

## Known vulnerabilities in requirements.txt (scripts/pip-audit.sh). Exit 3 = advisory database unreachable: the
## script prints "audit NOT performed" loudly and make goes on, unless PIP_AUDIT_STRICT=1. Vulnerabilities fail.
audit: setup
	@bash scripts/pip-audit.sh; rc=$$?; \
	  if [ $$rc -eq 3 ] && [ "$${PIP_AUDIT_STRICT:-0}" != "1" ]; then echo "make: continuing without the dependency audit (PIP_AUDIT_STRICT=1 to fail)" >&2; \
	  else exit $$rc; fi

## Re-lock the dependencies after editing requirements*.in.
lock:
	uv pip compile -q requirements.in -o requirements.txt --python-version 3.11
	uv pip compile -q requirements-dev.in -o requirements-dev.txt --python-version 3.11

## Extract and compile the translation catalogs (compiled .mo files are committed).
messages: setup
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
