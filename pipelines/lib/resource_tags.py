"""Resource tags from the Resource Groups Tagging API (tag:GetResources), for one account and region.

The bill carries only the tags activated as cost allocation tags, and only from the day they were
activated. The tagging API returns the tags every resource carries now (EC2 instances and volumes,
S3 buckets, EFS file systems, SageMaker Studio domains, user profiles and spaces, ...), so
marts.cost_attribution can name an owner for lines whose tags never reached the bill. Rows replace
what was stored for the same account and region in one transaction; nothing here calls Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipelines.lib import sql
from pipelines.lib.sagemaker.parse import tag_maps, to_arrow, utc
from pipelines.lib.sagemaker.write import arrow_strings
from pipelines.lib.warehouse import transaction

PAGE_SIZE = 100


@dataclass
class ScopeTags:
    """Every tagged resource of one account and region."""

    account_id: str
    region: str
    rows: list[dict] = field(default_factory=list)


def fetch_scope(client, account_id: str, region: str, fetched_at: datetime) -> ScopeTags:
    """All pages of GetResources (botocore's paginator follows PaginationToken; the client's retry
    config handles throttling)."""
    scope = ScopeTags(account_id=account_id, region=region)
    paginator = client.get_paginator("get_resources")
    for page in paginator.paginate(ResourcesPerPage=PAGE_SIZE):
        for mapping in page.get("ResourceTagMappingList", []):
            normalized, original = tag_maps(mapping.get("Tags"))
            scope.rows.append(
                {
                    "resource_arn": mapping["ResourceARN"],
                    "tags": normalized,
                    "tags_original": original,
                    "account_id": account_id,
                    "region": region,
                    "fetched_at": utc(fetched_at),
                }
            )
    return scope


def write_scopes(conn, scopes: list[ScopeTags]) -> int:
    """Replace the stored tags of every account and region read, in one transaction; returns rows written.

    Two roles leading into the same account give the same resources: one row per resource.
    """
    rows = list(
        {(r["account_id"], r["region"], r["resource_arn"]): r for s in scopes for r in s.rows}.values()
    )
    conn.register("incoming_resource_tags", to_arrow("resource_tags", rows))
    conn.register(
        "read_scopes",
        arrow_strings({"account_id": [s.account_id for s in scopes], "region": [s.region for s in scopes]}),
    )
    try:
        with transaction(conn):
            conn.execute(sql.load("ingest/delete_resource_tags_scopes"))
            conn.execute(sql.load("ingest/insert_resource_tags"))
    finally:
        conn.unregister("incoming_resource_tags")
        conn.unregister("read_scopes")
    return len(rows)


def count(conn) -> int:
    return conn.execute(sql.load("ingest/count_resource_tags")).fetchone()[0]
