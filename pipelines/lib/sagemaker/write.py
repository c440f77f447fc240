"""Writing SageMaker metadata to the warehouse: what is stored (the high-water marks), the upsert of
every successful account and region in one transaction, and row counts.

Plain code, called by the sagemaker_metadata asset (defs/ingest/sagemaker.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import pyarrow as pa

from pipelines.lib import sql
from pipelines.lib.sagemaker import fetch, parse

RESOURCE_TABLES = [
    "sagemaker_training_jobs",
    "sagemaker_processing_jobs",
    "sagemaker_transform_jobs",
    "sagemaker_models",
    "sagemaker_endpoints",
    "sagemaker_notebook_instances",
    "sagemaker_inference_components",
]
ALL_TABLES = [*RESOURCE_TABLES, "sagemaker_endpoint_variants"]


def read_known(conn) -> dict[tuple[str, str], dict[str, dict[str, datetime | None]]]:
    """(account, region) -> table -> ARN -> stored last-modified/creation time."""
    known: dict[tuple[str, str], dict[str, dict[str, datetime | None]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for table in RESOURCE_TABLES:
        kind = fetch.KINDS[table]
        query = sql.load("ingest/select_sagemaker_known").format(
            table=sql.quote_ident(table),
            arn_column=sql.quote_ident(kind.arn_column),
            modified_column=sql.quote_ident(kind.modified_column),
        )
        for account_id, region, arn, modified_at in conn.execute(query).fetchall():
            known[(account_id, region)][table][arn] = modified_at
    return known


def write_results(conn, results: list[fetch.ScopeResult], fetched_at: datetime) -> dict[str, int]:
    """Upsert every successful account/region in one transaction; returns rows written per table."""
    written: dict[str, int] = {}
    conn.execute("begin transaction")
    try:
        for table in RESOURCE_TABLES:
            # One row per ARN even if an item was listed twice (it changed between two pages, or
            # two roles in AWS_ROLE_ARNS lead into the same account): the last description wins.
            arn_column = fetch.KINDS[table].arn_column
            rows = list({row[arn_column]: row for r in results for row in r.rows.get(table, [])}.values())
            written[table] = len(rows)
            if not rows:
                continue
            conn.register("incoming", parse.to_arrow(table, rows))
            conn.execute(sql.load("ingest/upsert_sagemaker_table").format(table=sql.quote_ident(table)))
            conn.unregister("incoming")

        endpoint_rows = [row for r in results for row in r.rows.get("sagemaker_endpoints", [])]
        variant_rows = list(
            {
                (row["endpoint_arn"], row["variant_name"], row["model_name"]): row
                for r in results
                for row in r.rows.get("sagemaker_endpoint_variants", [])
            }.values()
        )
        written["sagemaker_endpoint_variants"] = len(variant_rows)
        conn.register("incoming_endpoints", parse.to_arrow("sagemaker_endpoints", endpoint_rows))
        conn.register("incoming_variants", parse.to_arrow("sagemaker_endpoint_variants", variant_rows))
        conn.execute(sql.load("ingest/delete_sagemaker_endpoint_variants"))
        conn.execute(sql.load("ingest/insert_sagemaker_endpoint_variants"))

        scopes = [r for r in results if "sagemaker_endpoints" in r.rows]
        conn.register(
            "listed_scopes",
            arrow_strings(
                {"account_id": [r.account_id for r in scopes], "region": [r.region for r in scopes]}
            ),
        )
        conn.register(
            "listed_endpoints",
            arrow_strings(
                {
                    "endpoint_arn": [
                        arn for r in scopes for arn in r.listed_arns.get("sagemaker_endpoints", [])
                    ]
                }
            ),
        )
        conn.execute(sql.load("ingest/unmark_sagemaker_endpoints_listed"))
        conn.execute(sql.load("ingest/mark_sagemaker_endpoints_deleted"), {"fetched_at": fetched_at})
        _flag_deleted_components(conn, results, fetched_at)
        for name in ("incoming_endpoints", "incoming_variants", "listed_scopes", "listed_endpoints"):
            conn.unregister(name)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return written


def _flag_deleted_components(conn, results: list[fetch.ScopeResult], fetched_at: datetime) -> None:
    """Inference components the full listing of a successful account/region no longer returns are
    flagged deleted (and ones it returns again un-flagged), inside the caller's transaction."""
    table = "sagemaker_inference_components"
    scopes = [r for r in results if table in r.rows]
    conn.register(
        "listed_scopes",
        arrow_strings({"account_id": [r.account_id for r in scopes], "region": [r.region for r in scopes]}),
    )
    conn.register(
        "listed_components",
        arrow_strings(
            {"inference_component_arn": [arn for r in scopes for arn in r.listed_arns.get(table, [])]}
        ),
    )
    conn.execute(sql.load("ingest/unmark_sagemaker_inference_components_listed"))
    conn.execute(sql.load("ingest/mark_sagemaker_inference_components_deleted"), {"fetched_at": fetched_at})
    conn.unregister("listed_components")


def arrow_strings(columns: dict[str, list]) -> pa.Table:
    return pa.table({name: pa.array(values, type=pa.string()) for name, values in columns.items()})


def table_counts(conn) -> dict[str, int]:
    query = sql.load("ingest/count_sagemaker_rows")
    return {t: conn.execute(query.format(table=sql.quote_ident(t))).fetchone()[0] for t in ALL_TABLES}
