"""An endpoint hosting inference components, through a real dbt build on the sample warehouse: its
cost divides by reserved compute (the unreserved rest apart), wins over the prediction-log split,
reconciles to the bill, and reaches cost per prediction and model costs per component model."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from decimal import Decimal

import duckdb
import pytest

from pipelines.defs.transform.project import dbt_project
from pipelines.lib.dbt_forkserver import dbt_executable
from tests.transform import sample_warehouse
from tests.transform.sample_warehouse import ACCOUNT, MAR, REGION, arn, line_item

pytestmark = pytest.mark.slow

# ml.g5.12xlarge (4 GPUs) all of March 1: 96 GPU-hours for $120. chat reserves 2 copies x 1 GPU
# all day (48, half), summarize 1 x 1 GPU from noon (12, an eighth), parked no copy: $60, $15 and
# $45 of capacity nobody reserved. Prediction logs name only chat-v3 on the endpoint that day.
LLM = "llm-ic"
LLM_LINES = [line_item(MAR, MAR, 24, "USE1-Host:ml.g5.12xlarge", "Usage", 120, resource=arn("endpoint", LLM))]


def _component(name: str, model: str, copies: int, created, **compute) -> dict:
    return {
        "inference_component_name": name,
        "inference_component_arn": arn("inference-component", name),
        "endpoint_name": LLM,
        "endpoint_arn": arn("endpoint", LLM),
        "variant_name": "AllTraffic",
        "model_name": model,
        "status": "InService",
        "created_at": created,
        "last_modified_at": created,
        "current_copy_count": copies,
        "desired_copy_count": copies,
        "min_memory_required_mb": 16384,
        "is_deleted": False,
        "account_id": ACCOUNT,
        "region": REGION,
        "fetched_at": sample_warehouse.FETCHED,
        **compute,
    }


COMPONENTS = [
    _component("ic-chat", "chat-v3", 2, MAR - timedelta(days=3), accelerators_required=1.0),
    _component("ic-summarize", "summarize-v1", 1, MAR + timedelta(hours=12), accelerators_required=1.0),
    _component("ic-parked", "parked-v1", 0, MAR - timedelta(days=3), accelerators_required=2.0),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("inference_components") / "warehouse.duckdb"
    sample_warehouse.build(path, LLM_LINES)
    with duckdb.connect(str(path)) as conn:
        for row in COMPONENTS:
            conn.execute(
                f"insert into raw.sagemaker_inference_components ({', '.join(row)}) "
                f"values ({', '.join('$' + k for k in row)})",
                row,
            )
        conn.execute(
            "insert into raw.prediction_counts (hour_start, endpoint_name, model_name, predictions, source,"
            " account_id, region, fetched_at) values ($h, $e, 'chat-v3', 6000, 'prediction_logs', $a, $r, $f)",
            {
                "h": MAR + timedelta(hours=10),
                "e": LLM,
                "a": ACCOUNT,
                "r": REGION,
                "f": sample_warehouse.FETCHED,
            },
        )
    env = {**os.environ, "WAREHOUSE_PATH": str(path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = path.parent / "dbt_target"
    # Only what the endpoint's split feeds (cautious: no test of a model outside the selection).
    done = subprocess.run(
        [dbt_executable(), "build", "--profiles-dir", ".", "--target-path", str(target),
         "--select", "+model_costs", "+cost_per_prediction", "cost_by_model", "--exclude", "resource_type:unit_test",
         "--indirect-selection", "cautious"],
        cwd=dbt_project.project_dir, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    results = json.loads((target / "run_results.json").read_text())["results"]
    return path, done, {r["unique_id"].split(".")[2]: r["status"] for r in results}


def query(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_build_passes_with_the_component_reconciliation(warehouse):
    _, done, statuses = warehouse
    assert done.returncode == 0, done.stdout[-3000:]
    assert statuses["assert_endpoint_component_shares_reconcile"] == "pass"
    assert statuses["assert_cost_per_prediction_matches_inference_cost"] == "pass"


def test_endpoint_cost_divides_by_reserved_compute_before_prediction_logs(warehouse):
    path, _, _ = warehouse
    rows = query(
        path,
        f"""
        select model_name, attribution_source, sum(effective_cost)
        from marts.cost_attribution where endpoint_name = '{LLM}' group by all order by 3 desc
        """,
    )
    assert rows == [
        ("chat-v3", "sagemaker_inference_component", Decimal("60")),
        ("unattributed", "sagemaker_inference_component_unreserved", Decimal("45")),
        ("summarize-v1", "sagemaker_inference_component", Decimal("15")),
    ]


def test_cost_per_prediction_per_component_model_and_null_with_a_reason(warehouse):
    path, _, _ = warehouse
    rows = query(
        path,
        f"""
        select model_name, predictions, inference_cost, cost_per_prediction, cost_per_prediction_reason
        from marts.cost_per_prediction where endpoint_name = '{LLM}' order by 1
        """,
    )
    assert rows == [
        ("chat-v3", 6000, Decimal("60"), Decimal("0.01"), None),
        ("summarize-v1", 0, Decimal("15"), None, "no_predictions"),
        ("unattributed", 0, Decimal("45"), None, "no_predictions"),
    ]
    costs = dict(query(path, "select model_name, inference_cost from marts.model_costs"))
    assert costs["chat-v3"] == Decimal("60")
