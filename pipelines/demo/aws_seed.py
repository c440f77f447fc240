"""Seed a moto server with the demo organisation's SageMaker resources and CloudWatch metrics.

The demo goes through exactly the same boto3 listing, describing and parsing code as production:
`seed_demo_aws` creates the catalog's models, endpoint configs, endpoints, training, processing and
transform jobs and notebook instances in a moto server over HTTP, then fills in the fields moto does
not model (status, times, billable seconds, final metrics, warm pools) on moto's in-process backend
objects, so the moto server must run in this process (``moto.server.ThreadedMotoServer``). Hourly
CloudWatch ``Invocations`` for every live endpoint-variant hour go in with PutMetricData, and
``CPUUtilization``/``GPUUtilization`` of every instance-backed variant for the last
UTILIZATION_DAYS. Like production, CloudWatch runs ahead of the bill: metrics and prediction logs go
on to `metrics_through` (one to two days past the bill's end, never past the current hour).

Accounts: moto files each request under the account of the access key that signed it, and keys
returned by ``sts:AssumeRole`` belong to the role's account. Seeding assumes
``arn:aws:iam::<account>:role/mlcost-demo`` for each catalog account, so the prod and dev accounts
stay separate, and ingesting with ``AWS_ROLE_ARNS=",".join(demo_role_arns(catalog))`` reads them
back the way a multi-account organisation would.

`write_demo_prediction_logs` writes the application prediction logs: per-model hourly counts for
the multi-model endpoint (Parquet) and for one model served outside SageMaker (CSV).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.demo.bedrock import put_bedrock_metrics
from pipelines.demo.catalog import DAY, DEV_ACCOUNT_ID, HOUR, PROD_ACCOUNT_ID, DemoCatalog, unit
from pipelines.demo.usage.s3 import SCRATCH_BUCKET, SCRATCH_BUCKET_TAGS
from pipelines.demo.usage.sagemaker import (
    STUDIO_DOMAIN_TAGS,
    WARM_POOL_SECONDS,
    studio_domain_id,
    warm_pool_seconds,
)

DEMO_ROLE_NAME = "mlcost-demo"
PUT_METRIC_BATCH = 500  # PutMetricData accepts up to 1000 datums per call
# Served outside SageMaker (a container on the team's own cluster): predictions without SageMaker
# cost, only in the prediction logs.
OUTSIDE_MODEL = {"model_name": "fraud-rules", "team": "risk", "rate": 900}
# Utilization metrics go in for the last this many days only: enough for any CloudWatch lookback
# the demo reads, and moto scans every datapoint of a metric on each GetMetricData.
UTILIZATION_DAYS = 35
# vCPUs and GPUs of the demo's hosting instance types (CloudWatch sums utilization over them).
INSTANCE_CAPACITY = {
    "ml.c5.2xlarge": (8, 0),
    "ml.c5.4xlarge": (16, 0),
    "ml.g4dn.xlarge": (4, 1),
    "ml.g4dn.2xlarge": (8, 1),
    "ml.g5.12xlarge": (48, 4),
    "ml.m5.large": (2, 0),
    "ml.m5.xlarge": (4, 0),
    "ml.m5.2xlarge": (8, 0),
    "ml.m5.4xlarge": (16, 0),
    "ml.p3.2xlarge": (8, 1),
    "ml.p3.8xlarge": (32, 4),
    "ml.p3.16xlarge": (64, 8),
}
# Share of an instance busy at the endpoint's peak traffic: the demo's endpoints are over-provisioned,
# as most are; the dev endpoint is mostly idle.
PEAK_UTILIZATION = {
    "churn-prod": 0.35,
    "fraud-detector-prod": 0.45,
    "embeddings-async": 0.30,
    "search-mme": 0.55,
    "forecast-v1": 0.20,
    "forecast-dev": 0.10,
    "churn-shadow": 0.0,
}


def metrics_through(catalog: DemoCatalog, now: dt.datetime | None = None) -> dt.datetime:
    """End of the CloudWatch metrics and prediction logs: CloudWatch is near real time while the
    bill lags, so up to two days past the bill (catalog.data_through), but never past the current
    hour, and at least one day past the bill."""
    now = now or dt.datetime.now(dt.UTC)
    current_hour = now.replace(minute=0, second=0, microsecond=0)
    return max(catalog.data_through + DAY, min(catalog.data_through + 2 * DAY, current_hour))


def demo_role_arns(catalog: DemoCatalog) -> list[str]:
    """The role per demo account to put in AWS_ROLE_ARNS when ingesting the seeded moto server."""
    return [f"arn:aws:iam::{account}:role/{DEMO_ROLE_NAME}" for account in catalog.account_ids]


def _naive(moment: dt.datetime | None) -> dt.datetime | None:
    """moto keeps naive UTC datetimes; the catalog's are aware."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _sessions(catalog: DemoCatalog, endpoint_url: str) -> dict[str, boto3.Session]:
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="demo",
        aws_secret_access_key="demo",
    )
    sessions = {}
    for account, role in zip(catalog.account_ids, demo_role_arns(catalog), strict=True):
        creds = sts.assume_role(RoleArn=role, RoleSessionName="mlcost-demo-seed")["Credentials"]
        sessions[account] = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    return sessions


def _backend(account_id: str, region: str):
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account_id][region]


def _role(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/sagemaker-execution"


def seed_demo_aws(catalog: DemoCatalog, endpoint_url: str) -> dict[str, int]:
    """Create the whole demo catalog in the (in-process) moto server at endpoint_url.

    Endpoints the catalog deletes part-way are created live; call `retire_demo_endpoints` after a
    first ingest to delete them, so the next ingest keeps them flagged ``is_deleted``. Returns how
    many of each resource (and CloudWatch datapoints) were created.
    """
    sessions = _sessions(catalog, endpoint_url)
    clients: dict[tuple[str, str, str], object] = {}

    def client(service: str, account: str, region: str):
        key = (service, account, region)
        if key not in clients:
            clients[key] = sessions[account].client(service, region_name=region, endpoint_url=endpoint_url)
        return clients[key]

    counts = {
        "models": 0,
        "endpoints": 0,
        "training_jobs": 0,
        "processing_jobs": 0,
        "transform_jobs": 0,
        "notebooks": 0,
    }

    # Models: every account and region that serves or batch-scores a model gets its own copy.
    wanted_models = {(m.model_name, m.account_id, m.region): m for m in catalog.models}
    by_name = {m.model_name: m for m in catalog.models}
    for e in catalog.endpoints:
        for name in e.model_names:
            wanted_models.setdefault((name, e.account_id, e.region), by_name[name])
    for job in catalog.transform_jobs:
        wanted_models.setdefault((job.model_name, job.account_id, job.region), by_name[job.model_name])
    for (name, account, region), model in sorted(wanted_models.items()):
        container = {"Image": model.image, "Mode": "MultiModel" if model.is_multi_model else "SingleModel"}
        client("sagemaker", account, region).create_model(
            ModelName=name,
            PrimaryContainer=container,
            ExecutionRoleArn=_role(account),
            Tags=_tags(model.tags),
        )
        _backend(account, region)._models[name].creation_time = _naive(model.created_at)
        counts["models"] += 1

    for e in catalog.endpoints:
        sm = client("sagemaker", e.account_id, e.region)
        variants = []
        for v in e.variants:
            # A multi-model variant points at one MultiModel container model; the others are
            # artifacts it loads, known only from the prediction logs.
            variant = {"VariantName": v.variant_name, "ModelName": v.model_names[0]}
            if v.serverless_memory_mb:
                variant["ServerlessConfig"] = {"MemorySizeInMB": v.serverless_memory_mb, "MaxConcurrency": 10}
            else:
                variant |= {"InstanceType": v.instance_type, "InitialInstanceCount": v.instance_count}
            variants.append(variant)
        config = {"EndpointConfigName": e.endpoint_config_name, "ProductionVariants": variants}
        if e.is_async:
            config["AsyncInferenceConfig"] = {
                "OutputConfig": {"S3OutputPath": f"s3://mlcost-demo-async/{e.endpoint_name}/"}
            }
        sm.create_endpoint_config(**config)
        sm.create_endpoint(
            EndpointName=e.endpoint_name, EndpointConfigName=e.endpoint_config_name, Tags=_tags(e.tags)
        )
        backend = _backend(e.account_id, e.region)
        backend.endpoint_configs[e.endpoint_config_name].creation_time = _naive(e.created_at)
        endpoint = backend.endpoints[e.endpoint_name]
        endpoint.creation_time = endpoint.last_modified_time = _naive(e.created_at) + dt.timedelta(minutes=8)
        counts["endpoints"] += 1

    for j in catalog.training_jobs:
        stopping = {"MaxRuntimeInSeconds": max(86400, j.training_seconds + 3600)}
        if j.max_wait_seconds:
            stopping["MaxWaitTimeInSeconds"] = j.max_wait_seconds
        resources = {
            "InstanceType": j.instance_type,
            "InstanceCount": j.instance_count,
            "VolumeSizeInGB": j.volume_size_gb,
        }
        warm_pool = warm_pool_seconds(j)
        if warm_pool:
            resources["KeepAlivePeriodInSeconds"] = WARM_POOL_SECONDS
        client("sagemaker", j.account_id, j.region).create_training_job(
            TrainingJobName=j.training_job_name,
            AlgorithmSpecification={"TrainingImage": j.image, "TrainingInputMode": "File"},
            RoleArn=_role(j.account_id),
            OutputDataConfig={"S3OutputPath": f"s3://mlcost-demo-models/{j.model_name}/"},
            ResourceConfig=resources,
            StoppingCondition=stopping,
            EnableManagedSpotTraining=j.is_managed_spot,
            Tags=_tags(j.tags),
        )
        job = _backend(j.account_id, j.region).training_jobs[j.training_job_name]
        job.creation_time = _naive(j.created_at)
        job.training_start_time = _naive(j.started_at)
        job.training_end_time = job.last_modified_time = _naive(j.ended_at)
        job.training_job_status = job.secondary_status = j.status
        job.training_time_in_seconds = j.training_seconds
        job.billable_time_in_seconds = j.billable_seconds
        job.final_metric_data_list = [
            {"MetricName": k, "Value": v, "Timestamp": _naive(j.ended_at)} for k, v in j.final_metrics.items()
        ]
        if warm_pool:
            # moto has no warm pools: DescribeTrainingJob returns this attribute as WarmPoolStatus.
            job.warm_pool_status = {
                "Status": "Terminated",
                "ResourceRetainedBillableTimeInSeconds": warm_pool,
            }
        if j.tuning_job_name:
            job.tuning_job_arn = (
                f"arn:aws:sagemaker:{j.region}:{j.account_id}:hyper-parameter-tuning-job/{j.tuning_job_name}"
            )
        counts["training_jobs"] += 1

    for p in catalog.processing_jobs:
        client("sagemaker", p.account_id, p.region).create_processing_job(
            ProcessingJobName=p.processing_job_name,
            ProcessingResources={
                "ClusterConfig": {
                    "InstanceCount": p.instance_count,
                    "InstanceType": p.instance_type,
                    "VolumeSizeInGB": p.volume_size_gb,
                }
            },
            AppSpecification={
                "ImageUri": f"683313688378.dkr.ecr.{p.region}.amazonaws.com/sagemaker-scikit-learn:1.2-1"
            },
            RoleArn=_role(p.account_id),
            StoppingCondition={"MaxRuntimeInSeconds": 86400},
            Tags=_tags(p.tags),
        )
        job = _backend(p.account_id, p.region).processing_jobs[p.processing_job_name]
        job.creation_time = _naive(p.created_at)
        job.processing_start_time = _naive(p.started_at)
        job.processing_end_time = job.last_modified_time = _naive(p.ended_at)
        job.processing_job_status = p.status
        counts["processing_jobs"] += 1

    for t in catalog.transform_jobs:
        client("sagemaker", t.account_id, t.region).create_transform_job(
            TransformJobName=t.transform_job_name,
            ModelName=t.model_name,
            TransformInput={
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://mlcost-demo-batch/{t.model_name}/in/",
                    }
                }
            },
            TransformOutput={"S3OutputPath": f"s3://mlcost-demo-batch/{t.model_name}/out/"},
            TransformResources={"InstanceType": t.instance_type, "InstanceCount": t.instance_count},
            Tags=_tags(t.tags),
        )
        job = _backend(t.account_id, t.region).transform_jobs[t.transform_job_name]
        job.creation_time = _naive(t.created_at)
        job.transform_start_time = _naive(t.started_at)
        job.transform_end_time = job.last_modified_time = _naive(t.ended_at)
        job.transform_job_status = t.status
        counts["transform_jobs"] += 1

    for n in catalog.notebooks:
        # moto validates notebook instance types against an old list (no ml.g4dn.*): create with a
        # type it knows and set the real one on the backend object.
        client("sagemaker", n.account_id, n.region).create_notebook_instance(
            NotebookInstanceName=n.notebook_instance_name,
            InstanceType="ml.t3.medium",
            RoleArn=_role(n.account_id),
            VolumeSizeInGB=n.volume_size_gb,
            Tags=_tags(n.tags),
        )
        notebook = _backend(n.account_id, n.region).notebook_instances[n.notebook_instance_name]
        notebook.instance_type = n.instance_type
        notebook.creation_time = _naive(n.created_at)
        notebook.last_modified_time = _naive(n.last_modified_at)
        notebook.status = n.status
        counts["notebooks"] += 1

    counts.update(_seed_resource_tags(catalog, client))

    through = metrics_through(catalog)
    counts["invocation_datapoints"] = _put_invocations(catalog, client, through)
    counts["utilization_datapoints"] = _put_utilization(catalog, client, through)
    counts["training_utilization_datapoints"] = _put_training_utilization(catalog, client, through)
    counts["bedrock_datapoints"] = put_bedrock_metrics(
        catalog,
        lambda account, region, namespace, datums: _put(client, account, region, namespace, datums),
        through,
        first_day=max(catalog.history_start, through - UTILIZATION_DAYS * DAY),
    )
    return counts


def _seed_resource_tags(catalog: DemoCatalog, client) -> dict[str, int]:
    """Resources whose owner only their own tags know (read back through tag:GetResources): the Studio
    domain, and the dev account's scratch bucket, tagged by its team but never activated as a cost
    allocation tag, so its bill lines carry no tags."""
    sm = client("sagemaker", PROD_ACCOUNT_ID, "us-east-1")
    sm.create_domain(
        DomainName="mlcost-demo",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": _role(PROD_ACCOUNT_ID)},
        SubnetIds=["subnet-0demo"],
        VpcId="vpc-0demo",
        Tags=_tags(STUDIO_DOMAIN_TAGS),
    )
    # moto derives the domain id from its name; AWS makes one up: give it the bill's.
    backend = _backend(PROD_ACCOUNT_ID, "us-east-1")
    domain = backend.domains.pop("d-mlcost-demo")
    domain.id = studio_domain_id(catalog)
    domain.arn = f"arn:aws:sagemaker:us-east-1:{PROD_ACCOUNT_ID}:domain/{domain.id}"
    backend.domains[domain.id] = domain

    s3 = client("s3", DEV_ACCOUNT_ID, "us-east-1")
    s3.create_bucket(Bucket=SCRATCH_BUCKET)
    s3.put_bucket_tagging(Bucket=SCRATCH_BUCKET, Tagging={"TagSet": _tags(SCRATCH_BUCKET_TAGS)})
    return {"studio_domains": 1, "tagged_buckets": 1}


def retire_demo_endpoints(catalog: DemoCatalog, endpoint_url: str) -> list[str]:
    """Delete the endpoints the catalog deletes part-way (after a first ingest has seen them)."""
    sessions = _sessions(catalog, endpoint_url)
    retired = []
    for e in catalog.endpoints:
        if e.deleted_at is not None:
            sessions[e.account_id].client(
                "sagemaker", region_name=e.region, endpoint_url=endpoint_url
            ).delete_endpoint(EndpointName=e.endpoint_name)
            retired.append(e.endpoint_name)
    return retired


def _hours(start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        yield hour
        hour += HOUR


def _put(client, account: str, region: str, namespace: str, datums: list[dict]) -> int:
    cw = client("cloudwatch", account, region)
    for i in range(0, len(datums), PUT_METRIC_BATCH):
        cw.put_metric_data(Namespace=namespace, MetricData=datums[i : i + PUT_METRIC_BATCH])
    return len(datums)


def utilization(
    catalog: DemoCatalog, endpoint_name: str, variant_name: str, hour_start: dt.datetime
) -> float:
    """Share of a variant's instances busy in an hour (0 to 1): a little background load plus the
    hour's invocations relative to the variant's peak (about twice its mean), scaled to the
    endpoint's PEAK_UTILIZATION."""
    peak = 2.0 * catalog.mean_hourly_invocations(endpoint_name, variant_name)
    load = catalog.hourly_invocations(endpoint_name, variant_name, hour_start) / max(peak, 1.0)
    return min(0.98, 0.03 + PEAK_UTILIZATION[endpoint_name] * load)


def _put_utilization(catalog: DemoCatalog, client, through: dt.datetime) -> int:
    """PutMetricData of CPUUtilization (and GPUUtilization on GPU instances) per instance-backed
    variant and hour, as SageMaker reports them: summed over the instance's vCPUs or GPUs."""
    total = 0
    start = max(catalog.history_start, through - UTILIZATION_DAYS * DAY)
    for e in catalog.endpoints:
        datums = []
        for v in e.variants:
            if v.serverless_memory_mb or v.instance_type not in INSTANCE_CAPACITY:
                continue
            vcpus, gpus = INSTANCE_CAPACITY[v.instance_type]
            dims = [
                {"Name": "EndpointName", "Value": e.endpoint_name},
                {"Name": "VariantName", "Value": v.variant_name},
            ]
            for hour in _hours(start, through):
                if not e.is_alive(hour):
                    continue
                used = utilization(catalog, e.endpoint_name, v.variant_name, hour)
                # GPU inference keeps the CPUs mostly free; CPU inference is the CPU's load.
                cpu = 0.05 + 0.25 * used if gpus else used
                metrics = [("CPUUtilization", 100.0 * vcpus * cpu)]
                if gpus:
                    metrics.append(("GPUUtilization", 100.0 * gpus * used))
                for name, value in metrics:
                    datums.append(
                        {
                            "MetricName": name,
                            "Dimensions": dims,
                            "Timestamp": hour,
                            "Value": round(value, 3),
                            "Unit": "Percent",
                        }
                    )
        total += _put(client, e.account_id, e.region, "/aws/sagemaker/Endpoints", datums)
    return total


def training_utilization(catalog: DemoCatalog, job, host: str, hour_start: dt.datetime) -> float:
    """Share of a training host busy in an hour: completed jobs keep their accelerators busy, jobs
    that failed or were stopped mostly waited."""
    busy = 0.85 if job.status == "Completed" else 0.3
    epoch_hour = int(hour_start.timestamp()) // 3600
    return min(
        0.99, busy * (0.9 + 0.2 * unit(catalog.seed, "train-util", job.training_job_name, host, epoch_hour))
    )


def _put_training_utilization(catalog: DemoCatalog, client, through: dt.datetime) -> int:
    """PutMetricData of CPUUtilization (and GPUUtilization on GPU instances) per training host
    (<job>/algo-<n>) and hour the job trained, for jobs of the last UTILIZATION_DAYS."""
    start = max(catalog.history_start, through - UTILIZATION_DAYS * DAY)
    datums: dict[tuple[str, str], list[dict]] = {}
    for j in catalog.training_jobs:
        end = j.started_at + dt.timedelta(seconds=j.training_seconds)
        if end <= start or j.instance_type not in INSTANCE_CAPACITY:
            continue
        vcpus, gpus = INSTANCE_CAPACITY[j.instance_type]
        for i in range(1, j.instance_count + 1):
            host = f"{j.training_job_name}/algo-{i}"
            for hour in _hours(j.started_at, end):
                used = training_utilization(catalog, j, host, hour)
                metrics = [("CPUUtilization", 100.0 * vcpus * (0.2 + 0.2 * used if gpus else used))]
                if gpus:
                    metrics.append(("GPUUtilization", 100.0 * gpus * used))
                for name, value in metrics:
                    datums.setdefault((j.account_id, j.region), []).append(
                        {
                            "MetricName": name,
                            "Dimensions": [{"Name": "Host", "Value": host}],
                            "Timestamp": hour,
                            "Value": round(value, 3),
                            "Unit": "Percent",
                        }
                    )
    return sum(
        _put(client, account, region, "/aws/sagemaker/TrainingJobs", batch)
        for (account, region), batch in sorted(datums.items())
    )


def _put_invocations(catalog: DemoCatalog, client, through: dt.datetime) -> int:
    """PutMetricData of every live endpoint-variant hour's invocations (explicit timestamps)."""
    total = 0
    for e in catalog.endpoints:
        datums = []
        for v in e.variants:
            dims = [
                {"Name": "EndpointName", "Value": e.endpoint_name},
                {"Name": "VariantName", "Value": v.variant_name},
            ]
            for hour in _hours(catalog.history_start, through):
                if not e.is_alive(hour):
                    continue
                datums.append(
                    {
                        "MetricName": "Invocations",
                        "Dimensions": dims,
                        "Timestamp": hour,
                        "Value": float(catalog.hourly_invocations(e.endpoint_name, v.variant_name, hour)),
                        "Unit": "None",
                    }
                )
        total += _put(client, e.account_id, e.region, "AWS/SageMaker", datums)
    return total


def outside_model_predictions(catalog: DemoCatalog, hour_start: dt.datetime) -> int:
    """Hourly predictions of the model served outside SageMaker (diurnal, deterministic)."""
    epoch_hour = int(hour_start.timestamp()) // 3600
    busy = 1.0 if 8 <= epoch_hour % 24 <= 20 else 0.4
    return int(round(OUTSIDE_MODEL["rate"] * busy * (0.8 + 0.4 * unit(catalog.seed, "outside", epoch_hour))))


# Records a batch transform instance scores per hour in the demo (before a per-job factor).
TRANSFORM_RECORDS_PER_INSTANCE_HOUR = 40_000


def transform_job_records(catalog: DemoCatalog, job) -> int:
    """Records a demo transform job scored (completed jobs only; deterministic)."""
    if job.status != "Completed":
        return 0
    hours = (job.ended_at - job.started_at).total_seconds() / 3600
    factor = 0.7 + 0.6 * unit(catalog.seed, "transform-records", job.transform_job_name)
    return int(round(TRANSFORM_RECORDS_PER_INSTANCE_HOUR * job.instance_count * hours * factor))


def write_demo_prediction_logs(catalog: DemoCatalog, out_dir: Path | str) -> list[Path]:
    """Write the demo's application prediction logs under out_dir; returns the files written.

    - ``<endpoint>/<YYYY-MM>.parquet`` for each multi-model endpoint: one row per hour, variant and
      model with a ``predictions`` count, from ``catalog.hourly_model_predictions``;
    - ``outside-sagemaker/<model>-<YYYY-MM>.csv``: the model served outside SageMaker, no endpoint;
    - ``batch-transform/records.csv``: the records each completed batch transform job scored, one
      row per job at its end hour (``transform_job_name``, ``model_name``, ``records``).
    """
    out = Path(out_dir)
    through = metrics_through(catalog)
    written: list[Path] = []
    months: dict[str, list[dict]] = {}
    for e in catalog.endpoints:
        multi = [v for v in e.variants if len(v.model_names) > 1]
        if not multi:
            continue
        rows_by_month: dict[str, list[dict]] = {}
        for hour in _hours(catalog.history_start, through):
            if not e.is_alive(hour):
                continue
            for v in multi:
                for model in v.model_names:
                    n = catalog.hourly_model_predictions(e.endpoint_name, model, hour)
                    if n:
                        rows_by_month.setdefault(f"{hour:%Y-%m}", []).append(
                            {
                                "timestamp": hour,
                                "endpoint_name": e.endpoint_name,
                                "variant_name": v.variant_name,
                                "model_name": model,
                                "predictions": n,
                            }
                        )
        for month, rows in sorted(rows_by_month.items()):
            path = out / e.endpoint_name / f"{month}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows), path)
            written.append(path)

    for hour in _hours(catalog.history_start, through):
        months.setdefault(f"{hour:%Y-%m}", []).append(
            {
                "timestamp": hour.isoformat().replace("+00:00", "Z"),
                "model_name": OUTSIDE_MODEL["model_name"],
                "predictions": outside_model_predictions(catalog, hour),
            }
        )
    for month, rows in sorted(months.items()):
        path = out / "outside-sagemaker" / f"{OUTSIDE_MODEL['model_name']}-{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(pa.Table.from_pylist(rows), path)
        written.append(path)

    batch = [
        {
            "timestamp": job.ended_at.replace(minute=0, second=0, microsecond=0)
            .isoformat()
            .replace("+00:00", "Z"),
            "transform_job_name": job.transform_job_name,
            "model_name": job.model_name,
            "records": transform_job_records(catalog, job),
        }
        for job in catalog.transform_jobs
        if job.ended_at <= through and transform_job_records(catalog, job)
    ]
    if batch:
        path = out / "batch-transform" / "records.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(pa.Table.from_pylist(batch), path)
        written.append(path)
    return written
