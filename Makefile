# Two commands do everything on a fresh clone: `make demo` and `make test`.
# The only prerequisite is Python 3.11+; uv is bootstrapped into .venv and installs the lock.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
DEMO_ACCOUNTS ?= 2000

.PHONY: demo test test-ahead lint format install bench bench-load clean

install: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	touch $@

# The demo serves plain http on 127.0.0.1: debug on, so no HTTPS-only cookies or redirects.
demo: export DJANGO_DEBUG ?= true
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo_users
	$(PY) manage.py send_reminders --seed-templates
	$(PY) manage.py seed_demo --accounts $(DEMO_ACCOUNTS) --seed 42 --if-empty
	$(PY) manage.py propensity_train --score
	$(PY) manage.py refresh_dashboards --activity-days 182
	@echo "Settle at http://127.0.0.1:8000  (Ctrl-C stops web, worker and beat)"
	@echo "A customer's portal link: $(PY) manage.py portal_link <account number>"
	$(VENV)/bin/honcho -f Procfile.demo start

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite (without the browser tests) with the clock 400 days ahead: a test that depends on
# today without pinning it fails here. CI runs it after `make test`.
test-ahead: install
	SETTLE_TEST_CLOCK_SHIFT_DAYS=400 $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# ruff, the layering contracts (import-linter) and the types of the domain modules (mypy).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks print numbers; the PostgreSQL ones need DATABASE_URL=postgres://…
bench: install
	$(PY) tests/bench/bench_quotes.py
	@case "$$DATABASE_URL" in postgres*) \
	  $(PY) tests/bench/bench_seed.py --accounts $${BENCH_ACCOUNTS:-1000000} && \
	  $(PY) tests/bench/bench_import.py --rows $${BENCH_ACCOUNTS:-1000000} ;; \
	  *) echo "set DATABASE_URL=postgres://… for the PostgreSQL benchmarks" ;; esac

# The load test (locust, from the `bench` dependency group) on the portfolio bench_seed.py keeps.
bench-load: install
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet --group bench
	$(PY) tests/bench/bench_load.py --database $${BENCH_DATABASE:-settle_bench}

clean:
	rm -rf $(VENV) .demo .pytest_cache
