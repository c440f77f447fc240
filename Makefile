# mlcost: every target installs what it needs first, so a fresh clone needs only Python 3.11.
# Settings come from the environment; the defaults below apply only to variables that are unset.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# WAREHOUSE_PATH and DAGSTER_HOME default as for the `mlcost` command (pipelines/lib/settings.py, the one
# place they are defined): targets evaluate `python -m pipelines.lib.settings`, so `make dev`, `make demo`
# and a plain `mlcost refresh` share one warehouse and one Dagster instance.
export CUR_EXPORT_URI ?= $(CURDIR)/.demo/exports
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= false
export DAGSTER_DISABLE_TELEMETRY ?= true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The venv's tools (dbt for dagster-dbt's dev-mode `dbt parse`) come first, activated or not.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# The settings' defaults as exports for the rest of the recipe line; DAGSTER_HOME is made to exist (with
# a dagster.yaml: pool "duckdb" limited to 1, no telemetry).
SETTINGS = settings="$$($(BIN)/python -m pipelines.lib.settings)" && eval "$$settings" &&

.PHONY: setup browser postgres java test-spark demo test dev bench bench-refresh bench-anomalies bench-forecast lint dbt-parse lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.lock > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	$(BIN)/python -m pip install -q --no-deps -e . >> $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	$(BIN)/python -c "import dagster, dagster_dbt, dagster_postgres, dbt.version, duckdb, moto, slack_sdk, altair, vl_convert, playwright"
	touch $@

# The cost report's browser test (tests/transform/test_report.py) opens the report in Debian's Chromium,
# driven by playwright (which never downloads a browser of its own). As root with apt-get (CI, this
# project's machines) it is installed here; elsewhere this says so and the test skips, saying why.
browser: setup
	@if command -v chromium > /dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then \
	  echo "installing Debian's chromium for the report's browser test (log: $(VENV)/apt.log)"; \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
	    > $(VENV)/apt.log 2>&1 || { tail -20 $(VENV)/apt.log; exit 1; }; \
	else \
	  echo "no chromium, and no apt-get as root to install it: the report's browser test will skip"; \
	fi

# The PostgreSQL instance test (tests/instance/test_postgres_instance.py) starts its own server with
# Debian's PostgreSQL (initdb, pg_ctl under /usr/lib/postgresql/<version>/bin). As root with apt-get
# (CI, this project's machines) it is installed here when missing; elsewhere this says so and the test
# skips, saying why.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then \
	  echo "installing Debian's postgresql for the PostgreSQL instance test (log: $(VENV)/apt-postgresql.log)"; \
	  mkdir -p $(VENV); \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql; } \
	    > $(VENV)/apt-postgresql.log 2>&1 || { tail -20 $(VENV)/apt-postgresql.log; exit 1; }; \
	else \
	  echo "no PostgreSQL server binaries, and no apt-get as root to install them: the PostgreSQL instance test will skip"; \
	fi

# The Spark parity test (tests/spark) needs Java: as root with apt-get (CI, this project's machines)
# Debian's openjdk-17 is installed here when `java` is missing; elsewhere install a Java 17 yourself.
java:
	@if command -v java > /dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then \
	  echo "installing Debian's openjdk-17 for the Spark parity test (log: $(VENV)/apt.log)"; \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openjdk-17-jre-headless; } \
	    > $(VENV)/apt.log 2>&1 || { tail -20 $(VENV)/apt.log; exit 1; }; \
	else \
	  echo "no java, and no apt-get as root to install it: install a Java 17 runtime for make test-spark"; exit 1; \
	fi

# The dbt project on a local Spark session over the lake, every mart compared with DuckDB's
# (docs/engines.md#building-on-spark), and compiled for dbt-trino with every node parsed as Trino SQL
# (docs/engines.md#trino-and-athena). pyspark, dbt-spark and dbt-trino are pinned in
# requirements-spark.lock and installed --no-deps, so dbt-core and dbt-adapters stay at
# requirements.lock's pins; the pipeline never imports them, so `make setup` does not install them.
# CI runs this after `make test`.
test-spark: setup java dbt-parse
	$(BIN)/python -m pip install -q --no-deps -r requirements-spark.lock
	$(BIN)/python -m pip check
	$(BIN)/python -m pytest -q -p no:cacheprovider --spark tests/spark

dbt-parse: setup
	$(SETTINGS) cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .

demo: setup dbt-parse
	$(BIN)/mlcost demo

# One pytest worker per CPU core (PYTEST_XDIST_AUTO_NUM_WORKERS=N to choose): each test file runs whole
# in one worker, so a module's dbt build is made once; tests/conftest.py sends the longest files first.
test: setup browser postgres dbt-parse
	$(BIN)/ruff check pipelines tests benchmarks
	$(SETTINGS) $(BIN)/dagster definitions validate -w workspace.yaml
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto --dist loadfile --no-loadscope-reorder --durations=15

dev: setup dbt-parse
	$(SETTINGS) VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev -h 127.0.0.1 -p 3000

bench: setup dbt-parse
	$(BIN)/python -m benchmarks.bench_ingest

# A whole `mlcost refresh` (start-up, ingest, dbt build, publish) of a 5M-line month on a fresh
# warehouse and Dagster home against a bare DuckDB load of the same files, in turn, 3 rounds
# (BENCH_ROWS, BENCH_ROUNDS; docs/benchmarks.md, docs/scale.md). ~5 min on idle cores after generation.
bench-refresh: setup dbt-parse
	$(BIN)/python -m benchmarks.bench_refresh

# Recall and precision of the anomaly detector on planted spikes (7 demo months; a few minutes).
bench-anomalies: setup dbt-parse
	$(BIN)/python -m benchmarks.bench_anomalies

# The month-end forecast's SQL method against statsforecast on the 7-month demo (docs/forecasting.md).
# statsforecast (and numpy, pandas, scipy) is a benchmark extra, pinned in requirements-bench.lock:
# the pipeline never imports it, so `make setup` does not install it.
bench-forecast: setup dbt-parse
	$(BIN)/python -m pip install -q -r requirements-bench.lock
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/bench
	$(BIN)/python -m benchmarks.forecast_methods

# CI runs this before `make test`. The dbt templater compiles the models without opening a warehouse
# (:memory:), so lint works in a fresh clone. sql/ has its own templater (sql/.sqlfluff), which sqlfluff
# only honours in the directory it runs from.
lint: setup
	$(BIN)/ruff check pipelines tests benchmarks
	$(BIN)/ruff format --check pipelines tests benchmarks
	WAREHOUSE_PATH=:memory: $(BIN)/sqlfluff lint dbt_project/models
	cd sql && ../$(BIN)/sqlfluff lint .

lock:
	{ echo '# Pinned, install-tested set for Python 3.11 (pip install -r requirements.lock). Regenerate with `make lock`.'; \
	  $(BIN)/python -m pip freeze --exclude-editable | sort -f; } > requirements.lock.new && mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) .demo .dagster_home dbt_project/target
