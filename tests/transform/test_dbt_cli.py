"""The dbt CLI resource (pipelines/defs/transform/dbt_cli.py): each warehouse's build starts from the
partial parse its previous build made, and dbt starts without `dbt --version` or an adapter in this
process, which mlcost never uses."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource
from packaging.version import Version

from pipelines.defs.resources import dbt_resource
from pipelines.defs.transform.dbt_cli import PARTIAL_PARSE_FILE, MlcostDbtCliResource
from pipelines.defs.transform.dbt_models import mlcost_dbt_models
from pipelines.defs.transform.project import dbt_project
from pipelines.lib.dbt_forkserver import dbt_executable

# A small view on an empty raw table: the build is quick, the parse is the whole project's.
MODEL = dg.AssetKey(["staging", "stg_budgets__budgets"])
# dbt's events (names in its JSON log) saying it parses the whole project, or starts from a saved parse.
FULL_PARSE = {"UnableToPartialParse", "PartialParseSaveFileNotFound", "ParsedFileLoadFailed"}
PARTIAL_PARSE = {"PartialParsingSkipParsing", "PartialParsingEnabled"}


def _build(warehouse: Path, dbt: MlcostDbtCliResource) -> dict[str, str]:
    """Build MODEL in `warehouse`; the events of that build's dbt.log, name -> message."""
    target = dbt.project_target()
    before = set(target.iterdir()) if target.exists() else set()
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [mlcost_dbt_models],
            selection=[MODEL],
            instance=instance,
            resources={"warehouse": DuckDBResource(database=str(warehouse)), "dbt": dbt},
        )
    assert result.success
    [invocation] = [p for p in set(target.iterdir()) - before if p.name.startswith(mlcost_dbt_models.op.name)]
    events = [json.loads(line)["info"] for line in (invocation / "dbt.log").read_text().splitlines()]
    return {event["name"]: event["msg"] for event in events}


@pytest.mark.slow
def test_a_warehouse_s_second_build_reuses_the_parse_its_first_made(tmp_path, monkeypatch, warehouse_path):
    dbt = dbt_resource()
    # The project's own partial parse, as `make dbt-parse` made it with another WAREHOUSE_PATH: what
    # dagster-dbt seeds a build with when the warehouse has none of its own.
    dbt.project_target().mkdir(parents=True)
    shutil.copy(dbt_project.project_dir / "target" / PARTIAL_PARSE_FILE, dbt.project_target())

    first = _build(warehouse_path, dbt)
    assert first["UnableToPartialParse"] == "Unable to do partial parsing because profile has changed"
    saved = dbt.saved_partial_parse()
    assert saved.name.startswith("warehouse-") and saved.exists()
    first_saved = saved.stat().st_mtime_ns

    second = _build(warehouse_path, dbt)
    assert not FULL_PARSE & second.keys() and PARTIAL_PARSE & second.keys()
    # Nothing changed, so dbt wrote no new parse and the saved one stands as it was.
    assert saved.stat().st_mtime_ns == first_saved

    # Another warehouse parses in full once, into its own file; the first warehouse's is untouched.
    other = tmp_path / "other" / "warehouse.duckdb"
    other.parent.mkdir()
    monkeypatch.setenv("WAREHOUSE_PATH", str(other))
    assert FULL_PARSE & _build(other, dbt).keys()
    assert dbt.saved_partial_parse() != saved and dbt.saved_partial_parse().exists()
    assert saved.stat().st_mtime_ns == first_saved
    assert not FULL_PARSE & _build(other, dbt).keys()
    assert not list(saved.parent.glob("*.tmp"))


def test_dbt_runs_without_an_adapter_in_this_process(warehouse_path):
    dbt = dbt_resource()
    invocation = dbt.cli(["parse", "--quiet"], target_path=dbt.project_target() / "parse").wait()
    assert invocation.is_successful()
    assert invocation.adapter is None
    # This environment's dbt is not asked its version: the installed dbt-core's is what it would say.
    reported = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True)
    assert f"installed: {dbt._cli_version}" in reported.stdout


def test_another_dbt_executable_is_asked_its_version(tmp_path):
    calls = tmp_path / "calls"
    wrapper = tmp_path / "dbt"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {dbt_executable()} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    dbt = MlcostDbtCliResource(project_dir=dbt_project, dbt_executable=str(wrapper))
    assert isinstance(dbt._cli_version, Version) and dbt._cli_version.major == 1
    assert calls.read_text().split() == ["--version"]
