"""The demo seeding: the catalog goes into moto, and the production ingest reads it back exactly."""

from __future__ import annotations

import datetime as dt

from pipelines.defs.ingest.predictions import (
    endpoint_utilization,
    prediction_counts,
    training_job_utilization,
)
from pipelines.defs.ingest.sagemaker import sagemaker_metadata
from pipelines.demo.aws_seed import (
    INSTANCE_CAPACITY,
    demo_role_arns,
    metrics_through,
    outside_model_predictions,
    retire_demo_endpoints,
    seed_demo_aws,
    training_utilization,
    utilization,
    write_demo_prediction_logs,
)
from pipelines.demo.catalog import HOUR, build_catalog
from pipelines.demo.usage.sagemaker import warm_pool_seconds
from tests.ingest.sagemaker_helpers import materialize, query


def _as_of() -> dt.date:
    """The 8th of this month (or last month, early in a month): a week of history, recent enough
    for CloudWatch's hourly retention whenever the test runs."""
    today = dt.datetime.now(dt.UTC).date()
    if today.day > 8:
        return today.replace(day=8)
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=8)


def test_demo_catalog_round_trips_through_moto(moto_endpoint, tmp_path, monkeypatch):
    catalog = build_catalog(seed=7, as_of=_as_of(), months=1)
    seeded = seed_demo_aws(catalog, moto_endpoint)
    assert seeded["training_jobs"] == len(catalog.training_jobs) > 0
    logs = write_demo_prediction_logs(catalog, tmp_path / "logs")
    assert logs

    monkeypatch.setenv("SAGEMAKER_REGIONS", ",".join(catalog.regions))
    monkeypatch.setenv("AWS_ROLE_ARNS", ",".join(demo_role_arns(catalog)))
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(tmp_path / "logs"))
    assert materialize([sagemaker_metadata]).success

    # Every job lands in its own account and region with the catalog's numbers and ARN (the bill's key).
    stored = set(
        query(
            "select training_job_arn, instance_type, instance_count, billable_seconds, training_seconds,"
            " is_managed_spot, status, started_at from raw.sagemaker_training_jobs"
        )
    )
    expected = {
        (
            j.arn,
            j.instance_type,
            j.instance_count,
            j.billable_seconds,
            j.training_seconds,
            j.is_managed_spot,
            j.status,
            j.started_at.replace(tzinfo=None),
        )
        for j in catalog.training_jobs
    }
    assert stored == expected
    warm = {j.arn: warm_pool_seconds(j) for j in catalog.training_jobs if warm_pool_seconds(j)}
    assert dict(
        query("select training_job_arn, warm_pool_billable_seconds from raw.sagemaker_training_jobs")
    ) == {j.arn: warm.get(j.arn) for j in catalog.training_jobs}
    assert {r[0] for r in query("select endpoint_arn from raw.sagemaker_endpoints")} == {
        e.arn for e in catalog.endpoints
    }
    assert {r[0] for r in query("select notebook_instance_arn from raw.sagemaker_notebook_instances")} == {
        n.arn for n in catalog.notebooks
    }
    assert query("select count(*) from raw.sagemaker_processing_jobs") == [(len(catalog.processing_jobs),)]
    assert query("select count(*) from raw.sagemaker_endpoint_variants") == [
        (sum(len(e.variants) for e in catalog.endpoints),)
    ]
    assert query("select model_name from raw.sagemaker_models where is_multi_model order by 1") == [
        ("ranker",),
        ("recommender",),
    ]

    day = catalog.data_through - dt.timedelta(days=1)
    assert materialize([prediction_counts], partition_key=day.date().isoformat()).success
    cloudwatch = dict(
        ((e, v, h), n)
        for e, v, h, n in query(
            "select endpoint_name, variant_name, hour_start, predictions from raw.prediction_counts where source = 'cloudwatch'"
        )
    )
    hours = [day + i * HOUR for i in range(24)]
    for endpoint in catalog.endpoints:
        for variant in endpoint.variants:
            for hour in hours:
                if endpoint.is_alive(hour):
                    key = (endpoint.endpoint_name, variant.variant_name, hour.replace(tzinfo=None))
                    assert cloudwatch[key] == catalog.hourly_invocations(
                        endpoint.endpoint_name, variant.variant_name, hour
                    )
    mme = next(e for e in catalog.endpoints if len(e.model_names) > 1)
    logged = dict(
        query(
            "select model_name, sum(predictions) from raw.prediction_counts"
            " where source = 'prediction_logs' and endpoint_name = $e group by 1",
            {"e": mme.endpoint_name},
        )
    )
    assert logged == {
        m: sum(catalog.hourly_model_predictions(mme.endpoint_name, m, h) for h in hours)
        for m in mme.model_names
    }
    assert query(
        "select sum(predictions) from raw.prediction_counts where source = 'prediction_logs' and endpoint_name is null"
    ) == [(sum(outside_model_predictions(catalog, h) for h in hours),)]

    # GPU and CPU utilization as SageMaker reports it (summed over the instance's GPUs or vCPUs).
    assert materialize([endpoint_utilization], partition_key=day.date().isoformat()).success
    gpu = dict(
        ((e, v, h), value)
        for e, v, h, value in query(
            "select endpoint_name, variant_name, hour_start, average from raw.endpoint_utilization"
            " where metric_name = 'GPUUtilization'"
        )
    )
    fraud = catalog.endpoint("fraud-detector-prod")
    for variant in fraud.variants:
        gpus = INSTANCE_CAPACITY[variant.instance_type][1]
        for hour in hours:
            expected = 100.0 * gpus * utilization(catalog, fraud.endpoint_name, variant.variant_name, hour)
            assert (
                abs(gpu[(fraud.endpoint_name, variant.variant_name, hour.replace(tzinfo=None))] - expected)
                < 0.01
            )
    assert not [k for k in gpu if k[0] == "churn-prod"]  # a CPU instance has no GPU metric

    # Training hosts: GPU utilization of a GPU job lands per host and hour it trained.
    gpu_job = next(
        j for j in catalog.training_jobs if j.instance_type.startswith("ml.p") and j.training_seconds > 7200
    )
    first_hour = gpu_job.started_at.replace(minute=0, second=0, microsecond=0)
    assert materialize([training_job_utilization], partition_key=first_hour.date().isoformat()).success
    host = f"{gpu_job.training_job_name}/algo-1"
    stored_gpu = query(
        "select average from raw.training_job_utilization where host = $h and hour_start = $t"
        " and metric_name = 'GPUUtilization'",
        {"h": host, "t": first_hour.replace(tzinfo=None)},
    )
    gpus = INSTANCE_CAPACITY[gpu_job.instance_type][1]
    assert stored_gpu == [
        (round(100.0 * gpus * training_utilization(catalog, gpu_job, host, first_hour), 3),)
    ]

    # CloudWatch runs past the bill: the day after the bill's last day already has invocations.
    assert metrics_through(catalog) == catalog.data_through + 2 * dt.timedelta(days=1)
    after_bill = catalog.data_through.date().isoformat()
    assert materialize([prediction_counts], partition_key=after_bill).success
    assert query(
        "select count(*) > 0 from raw.prediction_counts where source = 'cloudwatch' and cast(hour_start as date) = $d",
        {"d": after_bill},
    ) == [(True,)]

    retired = retire_demo_endpoints(catalog, moto_endpoint)
    assert retired == [e.endpoint_name for e in catalog.endpoints if e.deleted_at is not None]
    assert materialize([sagemaker_metadata]).success
    assert sorted(
        r[0] for r in query("select endpoint_name from raw.sagemaker_endpoints where is_deleted")
    ) == sorted(retired)
