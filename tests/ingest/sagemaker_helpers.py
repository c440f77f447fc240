"""Creating SageMaker resources in the moto server through boto3, and setting the fields moto leaves out."""

from __future__ import annotations

import json
import os
from datetime import datetime

import boto3
import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import source_resources
from pipelines.lib.sagemaker.cloudwatch import clear_list_metrics_cache

MOTO_ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{MOTO_ACCOUNT}:role/sagemaker"
IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/xgboost:1"


def sm(region: str = "us-east-1"):
    return boto3.client("sagemaker", region_name=region)


def tags(**pairs: str) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def create_training_job(client, name: str, *, spot: bool = False, tag_list: list | None = None) -> None:
    stopping = {"MaxRuntimeInSeconds": 3600}
    if spot:
        stopping["MaxWaitTimeInSeconds"] = 7200
    client.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        OutputDataConfig={"S3OutputPath": "s3://bucket/out"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30},
        StoppingCondition=stopping,
        EnableManagedSpotTraining=spot,
        Tags=tag_list or [],
    )


def create_endpoint(
    client, name: str, model: str, *, tag_list: list | None = None, serverless: bool = False
) -> None:
    client.create_model(
        ModelName=model, PrimaryContainer={"Image": IMAGE}, ExecutionRoleArn=ROLE, Tags=tag_list or []
    )
    variant = {"VariantName": "AllTraffic", "ModelName": model}
    if serverless:
        variant["ServerlessConfig"] = {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    else:
        variant |= {"InstanceType": "ml.m5.large", "InitialInstanceCount": 2}
    client.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[variant])
    client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tag_list or [])


def backend(region: str = "us-east-1", account: str = MOTO_ACCOUNT):
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account][region]


def set_training_fields(name: str, region: str = "us-east-1", **fields) -> None:
    """Set attributes moto does not fill (billable_time_in_seconds, ...) on the in-process backend object."""
    job = backend(region).training_jobs[name]
    for attr, value in fields.items():
        setattr(job, attr, value)


_INSTANCE = None


def _instance():
    """One ephemeral Dagster instance for all of these tests: creating one per run costs more than the run."""
    global _INSTANCE
    if _INSTANCE is None:
        import atexit

        context = dg.instance_for_test()
        _INSTANCE = context.__enter__()
        atexit.register(context.__exit__, None, None, None)
    return _INSTANCE


def materialize(
    assets, partition_key: str | None = None, raise_on_error: bool = True, run_config=None, tags=None
):
    # moto is reset between tests, while a refresh may reuse ListMetrics answers for 10 minutes.
    clear_list_metrics_cache()
    return dg.materialize(
        assets,
        instance=_instance(),
        resources={"warehouse": DuckDBResource(database=os.environ["WAREHOUSE_PATH"]), **source_resources()},
        partition_key=partition_key,
        raise_on_error=raise_on_error,
        run_config=run_config,
        tags=tags,
    )


def query(sql: str, params=None) -> list[tuple]:
    with duckdb.connect(os.environ["WAREHOUSE_PATH"], read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def failure_text(result) -> str:
    """The full text (message, cause chain) of a failed materialization's step failure."""
    return "\n".join(e.step_failure_data.error.to_string() for e in result.get_step_failure_events())


def naive(dt: datetime) -> datetime:
    return dt.replace(tzinfo=None)


class FaultProxy:
    """A tiny HTTP proxy on 127.0.0.1 in front of moto that injects AWS-style failures.

    ``throttle_first``: the first N requests get 400 ThrottlingException; ``unavailable_first``: the next
    N get 503; ``fail_region``: every request signed for that region gets 500 InternalFailure. Only
    requests signed for ``service`` (a JSON-protocol API) are touched, so STS keeps working. Counts in
    ``seen`` / ``injected`` let tests prove botocore retried.
    """

    def __init__(
        self,
        upstream: str,
        throttle_first: int = 0,
        unavailable_first: int = 0,
        fail_region: str | None = None,
        service: str = "sagemaker",
    ):
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlparse

        self.throttle_first = throttle_first
        self.unavailable_first = unavailable_first
        self.fail_region = fail_region
        self.service = service
        self.seen = 0
        self.injected = 0
        self._lock = threading.Lock()
        target = urlparse(upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, code: str, message: str) -> None:
                body = json.dumps({"__type": code, "message": message}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization", "")
                if f"/{proxy.service}/aws4_request" not in auth:
                    return self._forward(body)
                with proxy._lock:
                    proxy.seen += 1
                    n = proxy.seen
                if proxy.fail_region and f"/{proxy.fail_region}/" in auth:
                    proxy.injected += 1
                    return self._reply(500, "InternalFailure", "injected regional outage")
                if n <= proxy.throttle_first:
                    proxy.injected += 1
                    return self._reply(400, "ThrottlingException", "Rate exceeded")
                if n <= proxy.throttle_first + proxy.unavailable_first:
                    proxy.injected += 1
                    return self._reply(503, "ServiceUnavailable", "injected 503")
                return self._forward(body)

            def _forward(self, body: bytes) -> None:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in (
                        "content-length",
                        "connection",
                        "transfer-encoding",
                        "date",
                        "server",
                    ):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
