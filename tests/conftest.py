"""Every test gets its own warehouse file, Dagster home and dbt target folder; nothing touches a shared
database, so tests can run in parallel workers (`make test` runs `pytest -n auto --dist loadfile`)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from pipelines.lib.processes import PARENT_ENV

FIXTURES = Path(__file__).parent / "fixtures"
# Folders whose test files share an expensive session-scoped fixture (tests/alerts: one dbt build of
# the alert models): under xdist they run in one worker, so it is built once.
SHARED_FIXTURE_FOLDERS = ("tests/alerts/",)
# Files that share a session-scoped fixture across folders' other files, by group: the sample marts
# build (tests/transform/conftest.py `built`) runs once for both.
SHARED_FIXTURE_FILES = {
    "tests/transform/test_marts.py": "sample-marts",
    "tests/transform/test_report.py": "sample-marts",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--spark",
        action="store_true",
        help="also collect tests/spark, the Spark parity build (needs Java and requirements-spark.lock; "
        "`make test-spark` installs them and passes this)",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/spark runs only under `make test-spark` (pytest --spark): `make test` never collects it."""
    if collection_path == Path(__file__).parent / "spark" and not config.getoption("--spark"):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files with `slow` tests (dbt builds, whole pipelines) first, each in collection order: under
    xdist the longest units start at once instead of finishing last on one worker."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


@pytest.fixture(scope="session", autouse=True)
def dbt_forkserver_for_the_session():
    """Every dbt the tests start through `mlcost-dbt` (dagster-dbt's executable) is forked from one
    fork server per worker that has imported dbt, as `mlcost refresh` runs it: seconds of imports
    saved on each. The tests of plain dbt (no server) remove MLCOST_DBT_FORKSERVER themselves."""
    from pipelines.lib import dbt_forkserver

    with dbt_forkserver.started():
        yield


# What the alert tests exercised in each xdist worker (tests/alerts/conftest.py counts it).
ALERTS_EXERCISED: Counter = Counter()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    ALERTS_EXERCISED.update(getattr(node, "workeroutput", {}).get("alerts_exercised", {}))


def pytest_terminal_summary(terminalreporter) -> None:
    if ALERTS_EXERCISED:
        from tests.alerts.conftest import exercised_line

        terminalreporter.write_line(exercised_line(ALERTS_EXERCISED))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`: each test file runs in one worker (its module-scoped dbt builds are made
    once); so does each folder of SHARED_FIXTURE_FOLDERS and each group of SHARED_FIXTURE_FILES. Files
    go out in collection order (with --no-loadscope-reorder, as `make test` runs it)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFixtureScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            if path in SHARED_FIXTURE_FILES:
                return SHARED_FIXTURE_FILES[path]
            return next((folder for folder in SHARED_FIXTURE_FOLDERS if path.startswith(folder)), path)

    return SharedFixtureScheduling(config, log)


@pytest.fixture(scope="session")
def user_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """XDG_CACHE_HOME for every test of a worker: the report's Vega bundle (lib/report/page.py) is
    made once per worker, never read from or written to the user's own ~/.cache."""
    return tmp_path_factory.mktemp("xdg_cache")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_cache: Path) -> Path:
    warehouse = tmp_path / "warehouse.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "true")
    # dagster-dbt writes each dbt invocation's artifacts and dbt.log under DBT_TARGET_PATH (a folder
    # per invocation): here, not under dbt_project/target, which tests only read (manifest.json).
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    # dbt unit tests read only their given rows, never the warehouse: they run in the builds whose
    # tests are about the models (tests/transform/test_marts.py's full build, the alert models' build
    # in tests/alerts), not again in every refresh a test makes to prove something else.
    monkeypatch.setenv("DBT_EXCLUDE_RESOURCE_TYPES", "unit_test")
    monkeypatch.setenv("XDG_CACHE_HOME", str(user_cache))
    for name in (
        "CUR_EXPORT_URI",
        "SAGEMAKER_REGIONS",
        "AWS_ROLE_ARNS",
        "PREDICTION_LOGS_URI",
        "SLACK_WEBHOOK_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_CHANNEL",
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        # A developer's PostgreSQL instance never receives a test's runs (tests/instance sets its own).
        "DAGSTER_PG_HOST",
        "DAGSTER_PG_PORT",
        "DAGSTER_PG_USERNAME",
        "DAGSTER_PG_PASSWORD",
        "DAGSTER_PG_DB",
        # The lake is off unless a test turns it on (tests/ingest/test_lake.py).
        "MLCOST_LAKE_URI",
        # Set by a build in this process (crash recovery's mark on dbt); restored after each test.
        PARENT_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    # boto3 must never reach a real account from a test.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return warehouse


@pytest.fixture
def warehouse_path(isolated_settings: Path) -> Path:
    return isolated_settings


@pytest.fixture(scope="session")
def moto_server():
    """A real moto HTTP server on 127.0.0.1 (in-process, so tests can reach its backends)."""
    from moto.server import ThreadedMotoServer

    from pipelines.demo import moto_inference_components

    moto_inference_components.install()  # moto has no inference component API (see the module)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server, reset to empty, with AWS_ENDPOINT_URL pointing at it."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server
