"""Amazon Bedrock model invocation logs -> hourly requests and tokens per account, region, model ID
and caller (raw.bedrock_invocations rows, source 'invocation_logs').

Bedrock delivers one JSON object per request (JSON lines, usually gzipped) under
`AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/` in the configured bucket:
`timestamp`, `accountId`, `region`, `modelId`, `identity.arn`, `input.inputTokenCount` (and the
cache counts), `output.outputTokenCount`. Only those fields are read: the prompts and responses the
records also hold are never loaded. Files are read by DuckDB in a private in-memory database.
A record that cannot be counted (no timestamp or model, a timestamp that is not one, a negative or
non-numeric count) fails the read with one line naming the file, the record and the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import duckdb
import pyarrow as pa

from pipelines.lib.sagemaker.prediction_logs import LogFile
from pipelines.lib.warehouse import raw_schema

# The fields read from each record (DuckDB ignores every other key, prompts and outputs included).
COLUMNS = {
    "timestamp": "VARCHAR",
    "accountId": "VARCHAR",
    "region": "VARCHAR",
    "modelId": "VARCHAR",
    "identity": "STRUCT(arn VARCHAR)",
    "input": "STRUCT(inputTokenCount VARCHAR, cacheReadInputTokenCount VARCHAR, cacheWriteInputTokenCount VARCHAR)",
    "output": "STRUCT(outputTokenCount VARCHAR)",
}
# (field as the log names it, its column in the projection below, raw.bedrock_invocations column)
COUNTS = (
    ("input.inputTokenCount", "input_text", "input_tokens"),
    ("output.outputTokenCount", "output_text", "output_tokens"),
    ("input.cacheReadInputTokenCount", "cache_read_text", "cache_read_input_tokens"),
    ("input.cacheWriteInputTokenCount", "cache_write_text", "cache_write_input_tokens"),
)
PROJECTION = """
    row_number() over () as record,
    "timestamp" as timestamp_text,
    "accountId" as account_text,
    "region" as region_text,
    "modelId" as model_text,
    "identity".arn as caller_text,
    "input".inputTokenCount as input_text,
    "output".outputTokenCount as output_text,
    "input".cacheReadInputTokenCount as cache_read_text,
    "input".cacheWriteInputTokenCount as cache_write_text"""
# Bedrock's delivery path names the day of its records: /2025/03/01/.
_DAY_IN_PATH = re.compile(r"/(\d{4})/(\d{2})/(\d{2})(?:/|$)")


class InvocationLogError(ValueError):
    """A log record that cannot be counted; the message names the file, record and field."""


def may_hold(path: str, start: datetime, end: datetime) -> bool:
    """Whether a file may hold records of [start, end): its path's day (Bedrock's YYYY/MM/DD, a day
    either side for records delivered late or early) or no day in the path at all."""
    match = _DAY_IN_PATH.search(path.replace("\\", "/"))
    if not match:
        return True
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return True
    return start.date() - timedelta(days=1) <= day <= end.date() + timedelta(days=1)


def _source(log: LogFile) -> tuple[str, dict]:
    columns = ", ".join(f"{name}: '{kind}'" for name, kind in COLUMNS.items())
    return (
        f"(select {PROJECTION} from read_json($path, format = 'newline_delimited', columns = {{{columns}}}))",  # noqa: S608
        {"path": str(log.path)},
    )


# (field, column, what is wrong, SQL predicate true on a record the read cannot count). try_cast
# only points at the bad value; the read itself casts strictly.
PROBLEMS = (
    ("timestamp", "timestamp_text", "is not a date and time", "try_cast(timestamp_text as timestamptz) is null"),
    ("modelId", "model_text", "is missing", "nullif(trim(model_text), '') is null"),
    *(
        (field, column, "is not a whole number of tokens, 0 or more",
         f"{column} is not null and coalesce(try_cast({column} as bigint) < 0, true)")
        for field, column, _ in COUNTS
    ),
)  # fmt: skip


def _check(conn: duckdb.DuckDBPyConnection, log: LogFile) -> None:
    source, params = _source(log)
    values = ", ".join(f"cast({column} as varchar)" for _, column, _, _ in PROBLEMS)
    flags = ", ".join(f"({condition})" for *_, condition in PROBLEMS)
    where = " or ".join(f"({condition})" for *_, condition in PROBLEMS)
    try:
        row = conn.execute(
            f"select record, {values}, {flags} from {source} where {where} order by record limit 1",  # noqa: S608
            params,
        ).fetchone()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise InvocationLogError(
            f"invocation log {log.name}: cannot be read as JSON lines ({first})"
        ) from None
    if row is None:
        return
    n = len(PROBLEMS)
    record, shown_values, bad = row[0], row[1 : 1 + n], row[1 + n :]
    for (field, _, problem, _), value, is_bad in zip(PROBLEMS, shown_values, bad, strict=True):
        if is_bad:
            shown = "(empty)" if value is None else repr(value[:80])
            raise InvocationLogError(
                f"invocation log {log.name}, record {record}, field {field}: {shown} {problem}"
            )


def hourly_rows(logs: list[LogFile], start: datetime, end: datetime, fetched_at: datetime) -> pa.Table:
    """raw.bedrock_invocations rows: requests and tokens per hour, account, region, model ID and
    caller in [start, end) (naive UTC), summed over every file."""
    schema = raw_schema("bedrock_invocations")
    conn = duckdb.connect(":memory:")
    try:
        conn.execute("set TimeZone = 'UTC'")
        conn.execute("set preserve_insertion_order = true")
        parts = []
        for log in logs:
            _check(conn, log)
            source, params = _source(log)
            sums = ", ".join(f"sum(cast({column} as bigint)) as {target}" for _, column, target in COUNTS)
            logged_at = "timezone('UTC', cast(timestamp_text as timestamptz))"
            parts.append(
                conn.execute(
                    f"""
                    select
                        date_trunc('hour', {logged_at}) as hour_start,
                        trim(model_text) as model_id,
                        count(*) as invocations,
                        {sums},
                        nullif(trim(caller_text), '') as caller,
                        'invocation_logs' as source,
                        nullif(trim(account_text), '') as account_id,
                        nullif(trim(region_text), '') as region
                    from {source}
                    where {logged_at} >= $start and {logged_at} < $end
                    group by all
                    """,  # noqa: S608 -- column names are constants above; values are bound
                    {**params, "start": start, "end": end},
                ).fetch_arrow_table()
            )
        if not parts:
            return schema.empty_table()
        conn.register("parts", pa.concat_tables(parts, promote_options="permissive"))
        table = conn.execute(
            """
            select hour_start, model_id, sum(invocations) as invocations, sum(input_tokens) as input_tokens,
                   sum(output_tokens) as output_tokens, sum(cache_read_input_tokens) as cache_read_input_tokens,
                   sum(cache_write_input_tokens) as cache_write_input_tokens, caller, source, account_id, region,
                   $fetched_at::timestamp as fetched_at
            from parts group by all order by all
            """,
            {"fetched_at": fetched_at},
        ).fetch_arrow_table()
    finally:
        conn.close()
    return table.select(schema.names).cast(schema)
