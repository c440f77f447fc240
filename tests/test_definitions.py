"""The code location loads and validates, and its jobs and schedules are the ones the docs name."""

import dagster as dg

from pipelines.definitions import defs


def test_definitions_validate_loadable():
    dg.Definitions.validate_loadable(defs())


def test_jobs_and_billing_partitions_are_defined():
    definitions = defs()
    for job in ("ingest_billing", "ingest_sagemaker", "ingest_predictions", "build_warehouse"):
        assert definitions.resolve_job_def(job).name == job
    billing = definitions.resolve_assets_def(dg.AssetKey(["raw", "billing_line_items"]))
    assert isinstance(billing.partitions_def, dg.DynamicPartitionsDefinition)
    assert billing.partitions_def.name == "billing_period"
    build = definitions.resolve_job_def("build_warehouse")
    keys = build.asset_layer.executable_asset_keys
    assert dg.AssetKey(["raw", "budgets"]) in keys
    assert dg.AssetKey(["raw", "billing_line_items"]) not in keys


def test_every_warehouse_writer_runs_in_the_duckdb_pool():
    graph = defs().resolve_asset_graph()
    # alerts/ledger writes only its SQLite ledger and reports/cost_report only its HTML file; both read the
    # published copy, so they never wait for a writer.
    readers_of_the_published_copy = {
        dg.AssetKey(["alerts", "ledger"]),
        dg.AssetKey(["reports", "cost_report"]),
    }
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable or key in readers_of_the_published_copy:
            continue
        assets_def = node.assets_def
        pools = {assets_def.get_op_def_for_asset_key(key).pool}
        assert pools == {"duckdb"}, f"{key.to_user_string()} writes DuckDB outside pool 'duckdb'"


def test_every_op_that_opens_the_warehouse_runs_in_the_duckdb_pool():
    for job in defs().resolve_all_job_defs():
        for op in job.graph.iterate_op_defs():
            if "warehouse" in op.required_resource_keys:
                assert op.pool == "duckdb", f"{job.name}: op {op.name} writes DuckDB outside pool 'duckdb'"


def test_every_job_sensor_and_schedule_says_what_it_does():
    definitions = defs()
    jobs = [j for j in definitions.resolve_all_job_defs() if not j.name.startswith("__")]
    named = [("job", j.name, j.description) for j in jobs]
    named += [("sensor", s.name, s.description) for s in definitions.sensors or []]
    named += [("schedule", s.name, s.description) for s in definitions.schedules or []]
    assert {kind for kind, _, _ in named} == {"job", "sensor", "schedule"}
    missing = [f"{kind} {name}" for kind, name, description in named if not (description or "").strip()]
    assert missing == [], f"no description: {', '.join(missing)}"
