"""One connected graph from the raw landing assets to the marts and the published copy."""

from __future__ import annotations

import json

import dagster as dg

from pipelines.definitions import defs
from pipelines.defs.transform.project import dbt_project

BILLING = dg.AssetKey(["raw", "billing_line_items"])
MARTS = (
    "cost_by_model",
    "cost_per_prediction",
    "budget_projection",
    "training_job_costs",
    "monthly_cost_summary",
)


def _ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    todo = [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _mart_keys(graph) -> list[dg.AssetKey]:
    return [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "marts"]


def test_billing_line_items_is_upstream_of_every_mart():
    graph = defs().resolve_asset_graph()
    marts = _mart_keys(graph)
    assert {k.path[-1] for k in marts} >= set(MARTS)
    assert graph.get(BILLING).is_materializable
    missing = [k.to_user_string() for k in marts if BILLING not in _ancestors(graph, k)]
    assert missing == []
    # budgets and SageMaker metadata join the same graph
    assert dg.AssetKey(["raw", "budgets"]) in _ancestors(graph, dg.AssetKey(["marts", "budget_projection"]))
    assert dg.AssetKey(["raw", "sagemaker_endpoints"]) in _ancestors(
        graph, dg.AssetKey(["marts", "cost_by_model"])
    )
    assert dg.AssetKey(["raw", "prediction_counts"]) in _ancestors(
        graph, dg.AssetKey(["marts", "cost_per_prediction"])
    )


def test_every_dbt_source_is_a_raw_asset_that_dagster_materializes():
    graph = defs().resolve_asset_graph()
    manifest = json.loads(dbt_project.manifest_path.read_text())
    sources = list(manifest["sources"].values())
    assert len(sources) >= 10
    for source in sources:
        key = dg.AssetKey(source["meta"]["dagster"]["asset_key"])
        assert key == dg.AssetKey(["raw", source["name"]]), source["unique_id"]
        assert graph.has(key) and graph.get(key).is_materializable, (
            f"no ingest asset for {key.to_user_string()}"
        )


def test_published_copy_waits_for_every_mart():
    graph = defs().resolve_asset_graph()
    published = graph.get(dg.AssetKey(["published", "marts_snapshot"]))
    assert set(_mart_keys(graph)) <= set(published.parent_keys)
    assert published.pools == {"duckdb"}
    assert graph.get(dg.AssetKey(["raw", "budgets"])).pools == {"duckdb"}


def test_the_graph_reads_raw_to_marts_to_alerts_and_ends_in_the_alerts_ledger():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    ledger = dg.AssetKey(["alerts", "ledger"])
    # The alerts asset is a leaf, downstream of the models that decide alerts and of the published
    # copy it reads.
    assert graph.get(ledger).child_keys == set()
    assert graph.get(ledger).parent_keys == {
        dg.AssetKey(["marts", "budget_alerts"]),
        dg.AssetKey(["marts", "cost_anomalies"]),
        dg.AssetKey(["published", "marts_snapshot"]),
    }
    upstream = _ancestors(graph, ledger)
    # raw -> staging -> intermediate -> marts -> alerts, for budgets and for the bill.
    assert {BILLING, dg.AssetKey(["raw", "budgets"])} <= upstream
    groups = {graph.get(key).group_name for key in upstream}
    assert {"ingest", "staging", "intermediate", "marts", "published"} <= groups
    assert (
        dg.AssetKey(["marts", "budget_projection"])
        in graph.get(dg.AssetKey(["marts", "budget_alerts"])).parent_keys
    )
    # Anomalies read daily usage with its month-level flag, usage types and resources.
    assert (
        dg.AssetKey(["marts", "cost_attribution"])
        in graph.get(dg.AssetKey(["marts", "cost_anomalies"])).parent_keys
    )
    # Every model and the published copy lead to it: nothing after raw ends anywhere else (but the cost
    # report, the other leaf, which reads the same published copy).
    report = dg.AssetKey(["reports", "cost_report"])
    built = {
        key
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name not in ("ingest", "alerts", "reports")
    }
    assert built - upstream == set()
    assert graph.get(report).child_keys == set()
    assert graph.get(report).parent_keys == {dg.AssetKey(["published", "marts_snapshot"])}
    # A refresh (build_warehouse) ends with them.
    executable = definitions.resolve_job_def("build_warehouse").asset_layer.executable_asset_keys
    assert {ledger, report} <= executable


def test_recommendations_sit_downstream_of_the_marts_they_price_from():
    graph = defs().resolve_asset_graph()
    recommendations = dg.AssetKey(["marts", "recommendations"])
    assert graph.get(recommendations).group_name == "marts"
    upstream = _ancestors(graph, recommendations)
    # Costs from the bill, job savings, tag coverage, utilization and invocations, from raw up.
    for name in ("cost_attribution", "training_job_costs", "tag_coverage"):
        assert dg.AssetKey(["marts", name]) in upstream, name
    assert dg.AssetKey(["intermediate", "int_endpoint_utilization__hourly"]) in upstream
    assert {
        BILLING,
        dg.AssetKey(["raw", "prediction_counts"]),
        dg.AssetKey(["raw", "sagemaker_endpoints"]),
    } <= upstream
    # One intermediate model per rule feeds it.
    rules = {key.path[-1] for key in graph.get(recommendations).parent_keys if key.path[0] == "intermediate"}
    assert len({rule for rule in rules if rule.startswith("int_recommendations__")}) == 8
    # The digest reads it from the published copy, which waits for it.
    assert recommendations in graph.get(dg.AssetKey(["published", "marts_snapshot"])).parent_keys
