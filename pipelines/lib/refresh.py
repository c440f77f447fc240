"""`mlcost refresh`: discover, ingest what is new or changed, then build everything downstream.

Runs go through the Dagster instance in DAGSTER_HOME (so they appear in the UI) one after another in
this process, which is therefore the warehouse's only writer while it works.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from pipelines.lib import settings
from pipelines.lib.billing.loads import FINGERPRINT_TAG, loaded_fingerprints, periods_to_ingest
from pipelines.lib.warehouse import connect, ensure_raw_tables


@dataclass
class RefreshReport:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def fail(self, text: str) -> None:
        self.failures.append(text)
        self.lines.append(f"FAILED: {text}")


def _run(
    job: dg.JobDefinition, instance: dg.DagsterInstance, report: RefreshReport, label: str, **kwargs
) -> bool:
    started = time.monotonic()
    # The runs' full logs are in the Dagster UI; the terminal gets warnings and errors only.
    level = settings.get("MLCOST_LOG_LEVEL") or "CRITICAL"
    run_config = {
        **kwargs.pop("run_config", {}),
        "loggers": {"console": {"config": {"log_level": level.upper()}}},
    }
    from pipelines.defs import recovery

    # Waits (bounded, in one line) for a live holder of the duckdb pool; fails crashed ones first.
    kwargs["tags"] = recovery.before_run(instance, kwargs.get("tags"))
    result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, **kwargs)
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
    from pipelines.defs.ingest.billing import billing_periods, discover_exports

    settings.apply_defaults()
    settings.ensure_dagster_home()
    report = RefreshReport()
    definitions = load_defs()
    instance = dg.DagsterInstance.get()
    try:
        # Every raw table exists before anything reads it, whichever sources are configured.
        with connect() as conn:
            ensure_raw_tables(conn)
            # What this warehouse file holds decides what is loaded (not the instance's history).
            loaded = loaded_fingerprints(conn)

        if settings.get("CUR_EXPORT_URI"):
            discovery = discover_exports()
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
                _run(
                    job, instance, report, f"billing {period.partition_key}",
                    partition_key=period.partition_key, tags={FINGERPRINT_TAG: period.fingerprint},
                    run_config={"ops": {"raw__billing_line_items": {"config": {"force": force or bool(periods)}}}},
                )  # fmt: skip
        else:
            report.note("billing: CUR_EXPORT_URI is not set, skipped")

        if settings.get("SAGEMAKER_REGIONS"):
            echo("  ingesting SageMaker metadata ...")
            _run(definitions.resolve_job_def("ingest_sagemaker"), instance, report, "sagemaker metadata")
        else:
            report.note("sagemaker: SAGEMAKER_REGIONS is not set, skipped")

        if settings.get("SAGEMAKER_REGIONS") or settings.get("PREDICTION_LOGS_URI"):
            from pipelines.defs.ingest.predictions import (
                partition_key_ranges,
                prediction_partitions_to_refresh,
            )

            days = prediction_partitions_to_refresh(now or datetime.now(UTC))
            echo(f"  ingesting prediction counts for {len(days)} day(s) ...")
            job = definitions.resolve_job_def("ingest_predictions")
            # Contiguous days go in one run each (the assets take partition ranges in a single run).
            for first, last in partition_key_ranges(days):
                _run(
                    job, instance, report, f"predictions {first}..{last}",
                    tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
                )  # fmt: skip
        else:
            report.note("predictions: neither SAGEMAKER_REGIONS nor PREDICTION_LOGS_URI is set, skipped")

        if build:
            echo("  building the warehouse (dbt build) ...")
            _run(definitions.resolve_job_def("build_warehouse"), instance, report, "build_warehouse")
    finally:
        instance.dispose()
    return report


def run_jobs(names: list[str], report: RefreshReport | None = None) -> RefreshReport:
    """Run whole (unpartitioned) jobs one after another through the Dagster instance."""
    from pipelines.definitions import defs as load_defs

    report = report or RefreshReport()
    definitions = load_defs()
    instance = dg.DagsterInstance.get()
    try:
        for name in names:
            _run(definitions.resolve_job_def(name), instance, report, name)
    finally:
        instance.dispose()
    return report
