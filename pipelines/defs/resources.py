"""Resources shared by every asset: the DuckDB warehouse, the dbt CLI, and where each source is.

Source settings come from the environment through these resources (the assets never read settings
themselves). A variable that is set is passed as `dg.EnvVar`, resolved when a run starts; one that
is unset leaves the field's default, so the code location loads with nothing configured and a
source that is not configured is skipped. Parsing and validating the values is plain code in lib/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.dbt_cli import MlcostDbtCliResource
from pipelines.defs.transform.project import dbt_project
from pipelines.lib import aws
from pipelines.lib.billing.store import ExportStore, open_store
from pipelines.lib.dbt_forkserver import client_executable
from pipelines.lib.sagemaker import prediction_logs
from pipelines.lib.sagemaker.predictions import parse_flag, parse_lookback_days

DEFAULT_S3_REGION = "us-east-1"


def _env(name: str, default=None):
    """dg.EnvVar(name) when the variable is set (resolved at run time), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


class BillingExport(dg.ConfigurableResource):
    """Where AWS billing exports are delivered (CUR_EXPORT_URI): a local folder or s3://bucket/prefix."""

    uri: str = ""
    s3: S3Resource

    @property
    def configured(self) -> bool:
        return bool(self.uri)

    def store(self) -> ExportStore:
        """The export location (ExportLocationError, one line, when it is missing or unreadable)."""
        if not self.uri:
            raise dg.Failure(
                "CUR_EXPORT_URI is not set: point it at a local folder or s3://bucket/prefix of exports"
            )
        return open_store(self.uri, self.s3.get_client)


class SageMakerSource(dg.ConfigurableResource):
    """SageMaker and CloudWatch: which regions (SAGEMAKER_REGIONS) and accounts (AWS_ROLE_ARNS) to
    read, how many days before today CloudWatch is re-read (CLOUDWATCH_LOOKBACK_DAYS), and whether
    ListMetrics discovers endpoint variants (CLOUDWATCH_LIST_METRICS)."""

    regions: str = ""
    role_arns: str = ""
    lookback_days: str = ""
    list_metrics: str = ""

    @property
    def region_list(self) -> list[str]:
        """Empty means the SageMaker and CloudWatch sources are skipped."""
        return aws.split_list(self.regions)

    @property
    def lookback(self) -> int:
        return parse_lookback_days(self.lookback_days)

    @property
    def discover_variants(self) -> bool:
        return parse_flag("CLOUDWATCH_LIST_METRICS", self.list_metrics, default=True)

    def accounts(self, failures: list[str]) -> list[aws.Account]:
        return aws.accounts_or_failures(failures, aws.parse_role_arns(self.role_arns))


class PredictionLogs(dg.ConfigurableResource):
    """Application prediction logs (PREDICTION_LOGS_URI): a local folder or file, or s3://bucket/prefix."""

    uri: str = ""
    s3: S3Resource

    @property
    def configured(self) -> bool:
        return bool(self.uri)

    @contextmanager
    def files(self) -> Iterator[list[prediction_logs.LogFile]]:
        with prediction_logs.log_files(self.uri, self.s3.get_client) as files:
            yield files


class BedrockSource(SageMakerSource):
    """Amazon Bedrock token counts: CloudWatch AWS/Bedrock metrics in BEDROCK_REGIONS (default: the
    SAGEMAKER_REGIONS) for every account in AWS_ROLE_ARNS, re-read like SageMaker's metrics
    (CLOUDWATCH_LOOKBACK_DAYS, CLOUDWATCH_LIST_METRICS); and the model invocation logs under
    BEDROCK_INVOCATION_LOGS_URI (a local folder or s3://bucket/prefix), when set."""

    bedrock_regions: str = ""
    logs_uri: str = ""
    s3: S3Resource

    @property
    def region_list(self) -> list[str]:
        """Empty means CloudWatch is not read for Bedrock."""
        return aws.split_list(self.bedrock_regions) or aws.split_list(self.regions)

    @property
    def logs_configured(self) -> bool:
        return bool(self.logs_uri)

    @contextmanager
    def log_files(self, keep=None) -> Iterator[list[prediction_logs.LogFile]]:
        if "://" not in self.logs_uri and not Path(self.logs_uri).expanduser().exists():
            raise dg.Failure(f"BEDROCK_INVOCATION_LOGS_URI={self.logs_uri}: no such file or folder")
        with prediction_logs.log_files(self.logs_uri, self.s3.get_client, keep) as files:
            yield files


def s3_resource() -> S3Resource:
    """The one configured S3 client (billing exports, prediction logs): AWS_REGION or
    AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS (botocore's standard retry mode);
    credentials come from boto3's default chain (AWS_PROFILE, the AWS_* variables, an IAM role)."""
    region = "AWS_REGION" if os.environ.get("AWS_REGION") else "AWS_DEFAULT_REGION"
    attempts = os.environ.get("AWS_MAX_ATTEMPTS")
    return S3Resource(
        region_name=_env(region, DEFAULT_S3_REGION),
        endpoint_url=_env("AWS_ENDPOINT_URL"),
        max_attempts=dg.EnvVar.int("AWS_MAX_ATTEMPTS") if attempts else aws.DEFAULT_MAX_ATTEMPTS,
    )


def source_resources() -> dict[str, dg.ConfigurableResource]:
    """The source resources as the environment configures them now (definitions, `mlcost refresh`, tests)."""
    s3 = s3_resource()
    return {
        "s3": s3,
        "billing_export": BillingExport(uri=_env("CUR_EXPORT_URI", ""), s3=s3),
        "sagemaker": SageMakerSource(
            regions=_env("SAGEMAKER_REGIONS", ""),
            role_arns=_env("AWS_ROLE_ARNS", ""),
            lookback_days=_env("CLOUDWATCH_LOOKBACK_DAYS", ""),
            list_metrics=_env("CLOUDWATCH_LIST_METRICS", ""),
        ),
        "prediction_logs": PredictionLogs(uri=_env("PREDICTION_LOGS_URI", ""), s3=s3),
        "bedrock": BedrockSource(
            bedrock_regions=_env("BEDROCK_REGIONS", ""),
            regions=_env("SAGEMAKER_REGIONS", ""),
            role_arns=_env("AWS_ROLE_ARNS", ""),
            lookback_days=_env("CLOUDWATCH_LOOKBACK_DAYS", ""),
            list_metrics=_env("CLOUDWATCH_LIST_METRICS", ""),
            logs_uri=_env("BEDROCK_INVOCATION_LOGS_URI", ""),
            s3=s3,
        ),
    }


def dbt_resource() -> MlcostDbtCliResource:
    """dbt as mlcost runs it: this project, this environment's dbt (the definitions and the tests),
    through `mlcost-dbt`, which `mlcost refresh` serves from a process that has imported dbt already
    (lib/dbt_forkserver.py) and which is plain dbt everywhere else."""
    return MlcostDbtCliResource(project_dir=dbt_project, dbt_executable=client_executable())


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": DuckDBResource(database=dg.EnvVar("WAREHOUSE_PATH")),
            "dbt": dbt_resource(),
            **source_resources(),
        }
    )
