"""Runs outside the daemon: `mlcost refresh` (discover, ingest what is new or changed, then build
everything downstream), and the jobs `mlcost demo` and `mlcost periods drop` run.

Runs go through the Dagster instance in DAGSTER_HOME (so they appear in the UI) one after another in
this process, which is therefore the warehouse's only writer while it works. What to ingest is
decided by the same plain functions the sensors and schedules use (lib/billing/loads.py
periods_to_ingest, lib/sagemaker/predictions.py days_to_refresh), with the same resources.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from pipelines.defs import recovery
from pipelines.defs.ingest.bedrock import bedrock_days_to_refresh
from pipelines.defs.ingest.billing import BillingIngestConfig, billing_line_items, billing_periods
from pipelines.defs.ingest.predictions import prediction_days_to_refresh
from pipelines.defs.resources import source_resources
from pipelines.defs.sqlite_event_log import pool_sqlite_event_log
from pipelines.lib import dbt_forkserver, gc_policy, processes, settings
from pipelines.lib.billing.discovery import discover
from pipelines.lib.billing.loads import FINGERPRINT_TAG, loaded_fingerprints, periods_to_ingest
from pipelines.lib.sagemaker.predictions import partition_key_ranges
from pipelines.lib.warehouse import connect, ensure_raw_tables

# How long an idle pooled PostgreSQL connection is kept before it is reopened (Dagster's webserver default).
POOL_RECYCLE_SECONDS = 3600
# Connections beyond the one pooled, opened when several threads write at once (Dagster's webserver default).
POOL_MAX_OVERFLOW = 20


def instance_for_jobs() -> dg.DagsterInstance:
    """The Dagster instance of DAGSTER_HOME, set up to run many jobs in this process.

    On PostgreSQL, Dagster's storages otherwise open a new connection for every statement (SQLAlchemy's
    NullPool, so that short-lived processes hold nothing): a refresh stores about 1,000 events, each a
    few statements, and every connection is a server process and a password (SCRAM) exchange. Dagster's
    own long-running processes keep one pooled connection per storage instead (the webserver,
    `optimize_for_webserver`); a refresh is one too. No statement timeout: a run's writes must not be
    cut off. On SQLite, whose storages Dagster gives no such switch, the event log keeps one engine per
    file instead of one per connection (pipelines/defs/sqlite_event_log.py; pipelines/lib/
    instance_storage.py speeds its commits)."""
    instance = dg.DagsterInstance.get()
    instance.optimize_for_webserver(
        statement_timeout=0, pool_recycle=POOL_RECYCLE_SECONDS, max_overflow=POOL_MAX_OVERFLOW
    )
    pool_sqlite_event_log(instance)
    return instance


@dataclass
class RefreshReport:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def fail(self, text: str) -> None:
        self.failures.append(text)
        self.lines.append(f"FAILED: {text}")


def log_level() -> str:
    """MLCOST_LOG_LEVEL: how much of each run's log the terminal gets (CRITICAL unless set)."""
    return (settings.get("MLCOST_LOG_LEVEL") or "CRITICAL").upper()


def shows_run_output() -> bool:
    """Whether the terminal gets what runs print (dbt's progress): at MLCOST_LOG_LEVEL INFO or DEBUG."""
    return log_level() in ("INFO", "DEBUG")


@contextmanager
def run_output_unless_verbose() -> Iterator[None]:
    """What runs print (dbt's progress, a line per model and test) goes to their compute logs in the
    Dagster UI; the terminal gets it too only at MLCOST_LOG_LEVEL INFO or DEBUG (`--verbose`).

    Python's stdout points at /dev/null meanwhile: Dagster's capture of a run's output redirects that
    stream's file descriptor into the run's log file, so the UI keeps all of it."""
    if shows_run_output():
        yield
        return
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def run_job(
    job: dg.JobDefinition, instance: dg.DagsterInstance, report: RefreshReport, label: str, **kwargs
) -> bool:
    started = time.monotonic()
    # The runs' full logs are in the Dagster UI; the terminal gets warnings and errors only.
    run_config = {
        **kwargs.pop("run_config", {}),
        "loggers": {"console": {"config": {"log_level": log_level()}}},
    }
    # Waits (bounded, in one line) for a live holder of the duckdb pool; fails crashed ones first.
    kwargs["tags"] = recovery.before_run(instance, kwargs.get("tags"))
    with run_output_unless_verbose():
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config, **kwargs
        )
    recovery.after_run()  # Ctrl-C or SIGTERM during the run stops the refresh here
    seconds = time.monotonic() - started
    if result.success:
        report.note(f"{label}: ok ({seconds:.1f}s, run {result.run_id[:8]})")
        return True
    errors = [
        _failure_text(e.step_failure_data)
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    report.fail(f"{label}: {'; '.join(errors) or 'run failed'} (run {result.run_id[:8]})")
    return False


def _failure_text(data) -> str:
    """The dg.Failure description when there is one, else the error's first line."""
    if data is None:
        return "step failed"
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    message = data.error.message.strip() if data.error else ""
    first = message.splitlines()[0] if message else "step failed"
    # "dagster._core.definitions.events.Failure: billing period ..." -> "billing period ..."
    return re.sub(r"^[\w.]+(Failure|Error|Exception): ", "", first)


def refresh(
    *,
    force: bool = False,
    periods: list[str] | None = None,
    build: bool = True,
    now: datetime | None = None,
    echo: Callable[[str], None] = print,
) -> RefreshReport:
    from pipelines.definitions import defs as load_defs

    settings.apply_defaults()
    settings.ensure_dagster_home()
    report = RefreshReport()
    note = settings.note_instance_warehouse()
    if note:
        report.note(note)
    with (
        dbt_forkserver_for(build),
        gc_policy.long_lived(lambda: (load_defs(), instance_for_jobs())) as (definitions, instance),
    ):
        # The source resources as the code location configures them (EnvVar resolved here).
        with dg.build_resources(source_resources()) as sources:
            try:
                _refresh(definitions, instance, sources, report, force, periods, build, now, echo)
            finally:
                instance.dispose()
    return report


@contextmanager
def dbt_forkserver_for(build: bool) -> Iterator[None]:
    """When the block will run dbt: a fork server that imports dbt while the refresh starts up and
    ingests (on the core that is otherwise idle), from which the build's dbt is forked
    (lib/dbt_forkserver.py)."""
    if not build:
        yield
        return
    # Tagged before it starts, as every dbt it forks then is: a dbt that outlives a killed refresh is
    # found and stopped by crash recovery (processes.orphans_of).
    processes.mark_subprocesses()
    with dbt_forkserver.started():
        yield


def _billing_run_config(force: bool) -> dict:
    """Run config of the billing load, addressed to the asset's own op."""
    return {"ops": {billing_line_items.op.name: {"config": BillingIngestConfig(force=force).model_dump()}}}


def _refresh(definitions, instance, sources, report, force, periods, build, now, echo) -> None:
    # Every raw table exists before anything reads it, whichever sources are configured.
    with connect() as conn:
        ensure_raw_tables(conn)
        # What this warehouse file holds decides what is loaded (not the instance's history).
        loaded = loaded_fingerprints(conn)

    if sources.billing_export.configured:
        discovery = discover(sources.billing_export.store())
        for problem in discovery.problems:
            report.fail(problem)
        keys = [p.partition_key for p in discovery.periods.values()]
        instance.add_dynamic_partitions(billing_periods.name, keys)
        wanted = periods_to_ingest(discovery.periods.values(), {} if force else loaded)
        if periods:
            unknown = sorted(set(periods) - set(keys))
            if unknown:
                report.fail(
                    f"billing: no period {', '.join(unknown)} under {discovery.uri} (found: {', '.join(keys) or 'none'})"
                )
            # Named periods are reloaded even when unchanged.
            wanted = [p for p in discovery.periods.values() if p.partition_key in periods]
        report.note(f"billing: {len(keys)} period(s) under {discovery.uri}, {len(wanted)} new or changed")
        job = definitions.resolve_job_def("ingest_billing")
        for period in wanted:
            echo(f"  loading billing period {period.partition_key} ({period.export_version}) ...")
            run_job(
                job, instance, report, f"billing {period.partition_key}",
                partition_key=period.partition_key, tags={FINGERPRINT_TAG: period.fingerprint},
                run_config=_billing_run_config(force or bool(periods)),
            )  # fmt: skip
    else:
        report.note("billing: CUR_EXPORT_URI is not set, skipped")

    if sources.sagemaker.region_list:
        echo("  ingesting SageMaker metadata ...")
        run_job(definitions.resolve_job_def("ingest_sagemaker"), instance, report, "sagemaker metadata")
    else:
        report.note("sagemaker: SAGEMAKER_REGIONS is not set, skipped")

    if sources.sagemaker.region_list or sources.prediction_logs.configured:
        days = prediction_days_to_refresh(
            now or datetime.now(UTC), sources.sagemaker, sources.prediction_logs
        )
        echo(f"  ingesting prediction counts for {len(days)} day(s) ...")
        job = definitions.resolve_job_def("ingest_predictions")
        # Contiguous days go in one run each (the assets take partition ranges in a single run).
        for first, last in partition_key_ranges(days):
            run_job(
                job, instance, report, f"predictions {first}..{last}",
                tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
            )  # fmt: skip
    else:
        report.note("predictions: neither SAGEMAKER_REGIONS nor PREDICTION_LOGS_URI is set, skipped")

    bedrock_days = bedrock_days_to_refresh(now or datetime.now(UTC), sources.bedrock)
    if bedrock_days:
        echo(f"  ingesting Bedrock token counts for {len(bedrock_days)} day(s) ...")
        job = definitions.resolve_job_def("ingest_bedrock")
        for first, last in partition_key_ranges(bedrock_days):
            run_job(
                job, instance, report, f"bedrock {first}..{last}",
                tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
            )  # fmt: skip
    else:
        report.note(
            "bedrock: none of BEDROCK_REGIONS, SAGEMAKER_REGIONS, BEDROCK_INVOCATION_LOGS_URI is set, skipped"
        )

    if build:
        echo("  building the warehouse (dbt build) ...")
        run_job(definitions.resolve_job_def("build_warehouse"), instance, report, "build_warehouse")


def run_jobs(names: list[str], report: RefreshReport | None = None) -> RefreshReport:
    """Run whole (unpartitioned) jobs one after another through the Dagster instance."""
    from pipelines.definitions import defs as load_defs

    report = report or RefreshReport()
    with (
        dbt_forkserver_for("build_warehouse" in names),
        gc_policy.long_lived(lambda: (load_defs(), instance_for_jobs())) as (definitions, instance),
    ):
        try:
            for name in names:
                run_job(definitions.resolve_job_def(name), instance, report, name)
        finally:
            instance.dispose()
    return report


def drop_billing_periods(keys: list[str]) -> RefreshReport:
    """The drop_billing_periods job for these periods (YYYY-MM-01), run through the Dagster instance
    (visible in the UI, in pool "duckdb": it waits for a running load or build)."""
    from pipelines.definitions import defs as load_defs
    from pipelines.defs.ingest.billing import DropBillingPeriodsConfig, delete_billing_periods

    settings.ensure_dagster_home()
    report = RefreshReport()
    job = load_defs().resolve_job_def("drop_billing_periods")
    config = DropBillingPeriodsConfig(billing_periods=keys).model_dump()
    with instance_for_jobs() as instance:
        run_job(
            job,
            instance,
            report,
            "drop_billing_periods",
            run_config={"ops": {delete_billing_periods.name: {"config": config}}},
        )
    return report
