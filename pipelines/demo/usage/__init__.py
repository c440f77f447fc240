"""The demo organisation's resources as usage streams, one module per AWS service.

Each service module turns the catalog (and the resources only the bill knows) into streams.
Rows come SageMaker first, then EC2, then S3 (the order the generated bill has always used), then
Amazon Bedrock.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.demo.catalog import DemoCatalog
from pipelines.demo.usage.anomalies import anomaly_streams
from pipelines.demo.usage.bedrock import bedrock_streams
from pipelines.demo.usage.ec2 import ec2_streams
from pipelines.demo.usage.s3 import s3_streams
from pipelines.demo.usage.sagemaker import sagemaker_streams
from pipelines.demo.usage.streams import SPEC_SCHEMA


def usage_specs(catalog: DemoCatalog, anomalies: bool = False) -> pa.Table:
    """The catalog's resources as usage streams (a few hundred rows: one per resource and usage type),
    with the planted spikes last when `anomalies` is set."""
    rows = [
        *sagemaker_streams(catalog),
        *ec2_streams(catalog),
        *s3_streams(catalog),
        *bedrock_streams(catalog),
    ]
    if anomalies:
        rows += anomaly_streams(catalog)
    return pa.Table.from_pylist(rows, schema=SPEC_SCHEMA)
