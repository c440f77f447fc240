"""SageMaker metadata and prediction counts keep their high-water marks in the warehouse itself: the
incremental listing starts from the newest last-modified time stored in the raw tables, and the
prediction days to (re)load are today plus CLOUDWATCH_LOOKBACK_DAYS and every day in the prediction
logs. So a new or restored warehouse file, with the same DAGSTER_HOME, gets everything back (within
the lookback) from the next `mlcost refresh`."""

from __future__ import annotations

import shutil

import duckdb

from pipelines.cli import main
from pipelines.lib.sagemaker.cloudwatch import clear_list_metrics_cache
from tests.ingest.sagemaker_helpers import create_endpoint, create_training_job, sm
from tests.ingest.test_predictions import DAY, put_invocations, write_logs

SNAPSHOT = {
    "sagemaker_training_jobs": "select training_job_arn, status, last_modified_at from raw.sagemaker_training_jobs",
    "sagemaker_models": "select model_arn, created_at from raw.sagemaker_models",
    "sagemaker_endpoints": "select endpoint_arn, status, is_deleted from raw.sagemaker_endpoints",
    "sagemaker_endpoint_variants": "select endpoint_arn, variant_name, model_name from raw.sagemaker_endpoint_variants",
    "prediction_counts": "select source, hour_start, endpoint_name, variant_name, model_name, predictions"
    " from raw.prediction_counts",
}


def snapshot(path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {name: sorted(conn.execute(query).fetchall(), key=repr) for name, query in SNAPSHOT.items()}


def refresh(capsys) -> str:
    clear_list_metrics_cache()  # ListMetrics answers are cached in-process for 10 minutes
    assert main(["refresh", "--no-build"]) == 0, capsys.readouterr().out
    return capsys.readouterr().out


def test_new_and_restored_warehouse_get_sagemaker_metadata_and_prediction_counts_again(
    moto_endpoint, warehouse_path, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    write_logs(tmp_path / "logs")
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(tmp_path / "logs"))
    client = sm()
    for i in range(3):
        create_training_job(client, f"job-{i}")
    create_endpoint(client, "fraud", "fraud-model")
    put_invocations("us-east-1", "fraud", "AllTraffic", 5, [10, 4])

    refresh(capsys)
    first = snapshot(warehouse_path)
    assert len(first["sagemaker_training_jobs"]) == 3
    assert len(first["sagemaker_endpoint_variants"]) == 1
    assert {(r[0], r[2], r[5]) for r in first["prediction_counts"]} >= {
        ("cloudwatch", "fraud", 14),
        ("prediction_logs", "recs-mme", 44),
    }
    backup = tmp_path / "backup.duckdb"
    shutil.copy(warehouse_path, backup)

    # A new warehouse file, same DAGSTER_HOME: everything comes back, the same.
    other = tmp_path / "other.duckdb"
    monkeypatch.setenv("WAREHOUSE_PATH", str(other))
    refresh(capsys)
    assert snapshot(other) == first

    # More work appears; then the older backup is restored over the warehouse: the next refresh
    # lists from the backup's own (older) high-water mark and so finds what came since.
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse_path))
    create_training_job(client, "job-3")
    refresh(capsys)
    current = snapshot(warehouse_path)
    assert len(current["sagemaker_training_jobs"]) == 4
    shutil.copy(backup, warehouse_path)
    refresh(capsys)
    assert snapshot(warehouse_path) == current
    assert DAY.date().isoformat() in {str(r[1].date()) for r in current["prediction_counts"]}
