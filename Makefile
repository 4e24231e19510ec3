# Two commands: `make run` and `make test`. Both set up .venv from the pinned lock first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export ZS_RAW_DIR ?= $(CURDIR)/raw
export ZS_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(CURDIR)
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: run test test-fast dev lint sample bench clean browser

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/zhaoshang run

# the suite in two worker processes (pytest-xdist), a test file per worker at a time, so
# that a module's shared build is made once; session builds are shared across the workers
# (tests/README.md). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

test: $(STAMP) lint browser
	$(BIN)/python -m pytest $(XDIST)

# the report's browser test needs Debian's chromium and a CJK font (fonts-noto-cjk)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    chromium fonts-noto-cjk >/dev/null; }

# the inner loop: parsing, units, periods, the sensor's logic, dbt's unit tests (every rule
# on small fixtures); no test that builds the whole sample (marker `slow`). Under 2 minutes.
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not slow" --hypothesis-profile=fast

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 2 dbt_project/models dbt_project/macros dbt_project/tests

dev: $(STAMP)
	$(BIN)/zhaoshang prepare
	$(BIN)/dagster dev -m orchestration.definitions

sample: $(STAMP)
	$(BIN)/zhaoshang generate-sample --out raw

# the scale benchmark (bench/README.md): tiers S and M; `make bench TIERS="S M L"` for L
TIERS ?= S M
bench: $(STAMP)
	$(BIN)/python bench/xlsx_read.py 200000
	$(BIN)/python bench/run.py $(TIERS)

clean:
	rm -rf data dbt_project/target dbt_project/logs
