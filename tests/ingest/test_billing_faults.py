"""Fault injection on real sample exports: every line read is a line landed, or the period fails with
one line naming the file, line (Parquet: row and row group), column and value, and what was stored
before stays as it was. Configuration problems print one line naming CUR_EXPORT_URI.

Each corrupted file is made inside the test's tmp_path from a copy of a fixture in tests/fixtures.
"""

from __future__ import annotations

import csv
import gzip
import http.client
import io
import json
import shutil
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines import cli
from pipelines.lib.billing import BillingInputError
from pipelines.lib.billing.discovery import discover
from pipelines.lib.billing.load import _build_incoming, _check_rows_read_landed, load_period
from pipelines.lib.billing.normalize import prepare_connection
from pipelines.lib.billing.store import WorkDir, open_store
from tests.ingest.billing_helpers import FIXTURES, file_total, open_export_store, warehouse_totals

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------------
# helpers


def copy(fixture: str, tmp_path: Path) -> Path:
    folder = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, folder)
    return folder.resolve()


def load(folder: Path, warehouse: Path, now: datetime | None = None) -> dict[str, object]:
    """Discover and load every period; each maps to its row count, or to the error's message."""
    store = open_store(str(folder))
    outcome: dict[str, object] = {}
    for key, period in ((p.partition_key, p) for p in discover(store, now=now).periods.values()):
        with duckdb.connect(str(warehouse)) as conn:
            try:
                outcome[key] = load_period(conn, store, period, force=True, now=now).row_count
            except BillingInputError as exc:
                outcome[key] = str(exc)
    return outcome


def read_csv_file(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode()
    return list(csv.reader(io.StringIO(text)))


def write_csv_file(path: Path, records: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(records)
    data = buf.getvalue().encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)


def set_field(path: Path, line: int, column: str, value: str) -> None:
    """Set one field, by header name, on one line of the file (line 1 is the header)."""
    records = read_csv_file(path)
    records[line - 1][records[0].index(column)] = value
    write_csv_file(path, records)


def the_file(folder: Path, pattern: str) -> Path:
    (path,) = sorted(folder.rglob(pattern))
    return path


# ---------------------------------------------------------------------------------------------------
# 1. Compressed files must be complete


def _gzip_without_end_marker(path: Path) -> str:
    """Cut at a row boundary and flushed, but never finished: no final block, no CRC trailer."""
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    stream = zlib.compressobj(6, zlib.DEFLATED, 31)
    path.write_bytes(stream.compress(b"".join(lines[: len(lines) // 2])) + stream.flush(zlib.Z_SYNC_FLUSH))
    return "incomplete gzip file, it ends before its end-of-stream marker"


def _gzip_bad_crc(path: Path) -> str:
    data = bytearray(path.read_bytes())
    data[-8] ^= 0xFF  # the CRC32 in the trailer; every byte of data is intact
    path.write_bytes(bytes(data))
    return "corrupt gzip file (CRC check failed"


def _zip_bad_crc(path: Path) -> str:
    """One bit of the member's compressed data flipped: it still inflates, to different bytes."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        member = archive.infolist()[0]
    name_len, extra_len = struct.unpack("<HH", data[member.header_offset + 26 : member.header_offset + 30])
    start = member.header_offset + 30 + name_len + extra_len
    data[start + member.compress_size // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return "corrupt zip archive (Bad CRC-32"


def _parquet_without_footer(path: Path) -> str:
    path.write_bytes(path.read_bytes()[:-4096])
    return "not a readable Parquet file"


@pytest.mark.parametrize(
    ("fixture", "pattern", "period", "corrupt"),
    [
        ("koku_s3_layout", "*.csv.gz", "2018-08-01", _gzip_without_end_marker),
        ("cur2_csv_gz", "*.csv.gz", "2024-09-01", _gzip_bad_crc),
        ("cur_legacy_zip", "*.csv.zip", "2024-01-01", _zip_bad_crc),
        ("athena_parquet", "*.parquet", "2018-12-01", _parquet_without_footer),
    ],
)
def test_incomplete_or_corrupt_container_fails_the_period(
    fixture, pattern, period, corrupt, tmp_path, warehouse_path
):
    folder = copy(fixture, tmp_path)
    assert isinstance(load(folder, warehouse_path)[period], int)
    before = warehouse_totals(warehouse_path, period)
    path = the_file(folder, pattern)
    if fixture == "athena_parquet":  # a loose file: its period comes from its name once unreadable
        path = path.rename(path.with_name(f"{period[:7]}-WorkshopCUR.snappy.parquet"))
    expected = corrupt(path)
    message = load(folder, warehouse_path)[period]
    assert message.startswith(f"{path}: {expected}")
    assert "\n" not in message
    assert warehouse_totals(warehouse_path, period) == before


def test_loose_gzip_without_end_marker_is_not_half_loaded(tmp_path, warehouse_path):
    # Before: 3,094 of 6,190 rows landed ($3,374.04 of $29,684.78) and nothing was reported.
    folder = tmp_path / "loose"
    folder.mkdir()
    path = folder / "2018-08.csv.gz"
    shutil.copy(the_file(FIXTURES / "koku_s3_layout", "*.csv.gz"), path)
    _gzip_without_end_marker(path)
    outcome = load(folder, warehouse_path)
    assert list(outcome) == ["2018-08-01"]
    assert outcome["2018-08-01"].startswith(f"{path.resolve()}: incomplete gzip file")
    assert warehouse_totals(warehouse_path) == (0, 0, 0)


def test_refresh_of_a_cut_gzip_fails_and_keeps_the_month(tmp_path, monkeypatch, capsys, warehouse_path):
    folder = copy("koku_s3_layout", tmp_path)
    monkeypatch.setenv("CUR_EXPORT_URI", str(folder))
    path = the_file(folder, "*.csv.gz")
    expected_rows, expected_total = file_total([path], "lineItem/UnblendedCost")
    assert cli.main(["refresh", "--no-build"]) == 0
    assert warehouse_totals(warehouse_path, "2018-08-01")[:2] == (expected_rows, expected_total)
    assert expected_rows == 6190
    capsys.readouterr()

    _gzip_without_end_marker(path)  # a partial copy replaces the file: a new delivery to load
    assert cli.main(["refresh", "--no-build"]) == 1
    out = capsys.readouterr()
    failed = [line for line in out.out.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1
    assert failed[0].startswith(
        f"FAILED: billing 2018-08-01: billing period 2018-08-01: {path}: incomplete gzip file, it ends before "
        "its end-of-stream marker (a partial download or copy?); nothing of it was loaded (run "
    )
    assert "Traceback" not in out.out + out.err
    assert warehouse_totals(warehouse_path, "2018-08-01")[:2] == (6190, expected_total)


# ---------------------------------------------------------------------------------------------------
# 2. Values that cannot be read fail the period, named


LEGACY = ("cur_legacy_minimal", "sample-legacy-csv.csv", "2025-01-01")  # loose CSV, no billing period column
CUR2 = ("cur2_csv_gz", "*.csv.gz", "2024-09-01")  # CUR 2.0 with a manifest
FIVETRAN = ("cur2_fivetran", "aws_cost_report.csv", "2024-04-01")  # loose, 228 columns, a spelling twin


@pytest.mark.parametrize(
    ("source", "line", "column", "value", "problem"),
    [
        # Before: the row was silently dropped (3 of 4 rows landed).
        (LEGACY, 3, "lineItem/UsageStartDate", "01/15/2025 3PM", "is not a date and time"),
        # Before: the row landed with a NULL charge date.
        (CUR2, 3, "line_item_usage_start_date", "01/15/2025 3PM", "is not a date and time"),
        # Before: `Could not convert string "abc" to DECIMAL(38,10)`, naming no file, line or column.
        (LEGACY, 4, "lineItem/UnblendedCost", "abc", "is not a number"),
        (LEGACY, 4, "lineItem/UnblendedCost", "1,234.50", "is not a number"),
        (CUR2, 5, "line_item_unblended_cost", "abc", "is not a number"),
        # Before: the quantity landed as NULL.
        (LEGACY, 2, "lineItem/UsageAmount", "two", "is not a number"),
        # Before: the tags were dropped.
        (FIVETRAN, 7, "resource_tags", "{team: ml", "is not a JSON object"),
        # One field under two spellings that disagree: which one is right is unknown.
        (
            FIVETRAN,
            9,
            "reservation_reservation_a_r_n",
            "arn:aws:ec2:us-east-1:1234:reserved-instances/r1",
            "disagrees with column reservation_reservation_arn on the same row; which one to load is unknown",
        ),
    ],
)
def test_unreadable_value_names_file_line_column_and_value(
    source, line, column, value, problem, tmp_path, warehouse_path
):
    fixture, pattern, period = source
    folder = copy(fixture, tmp_path)
    assert isinstance(load(folder, warehouse_path)[period], int)
    before = warehouse_totals(warehouse_path, period)
    path = the_file(folder, pattern)
    set_field(path, line, column, value)
    assert load(folder, warehouse_path) == {
        period: f'{path} line {line}, column {column}: "{value}" {problem}'
    }
    assert warehouse_totals(warehouse_path, period) == before


def test_parquet_value_is_named_by_row_and_row_group(tmp_path, warehouse_path):
    """The workshop's Parquet with its cost written as text, one value not a number, 4 row groups."""
    source = the_file(FIXTURES / "athena_parquet", "*.parquet")
    folder = tmp_path / "parquet"
    folder.mkdir()
    path = folder / "Dec2018-costs-as-text.parquet"
    duckdb.sql(
        "copy (select * exclude (file_row_number) replace (case when file_row_number = 70000 then 'n/a' "
        "else cast(line_item_unblended_cost as varchar) end as line_item_unblended_cost) "
        f"from read_parquet('{source}', file_row_number = true) order by file_row_number) "
        f"to '{path}' (format parquet, row_group_size 30000)"
    )
    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    group = next(i for i in range(len(sizes)) if 70000 < sum(sizes[: i + 1]))
    assert pq.read_table(path, columns=["line_item_unblended_cost"]).column(0)[70000].as_py() == "n/a"
    assert len(sizes) > 1 and group > 0
    assert load(folder, warehouse_path) == {
        "2018-12-01": f"{path} row 70000 (row group {group}; both counted from 0), column "
        'line_item_unblended_cost: "n/a" is not a number'
    }
    assert warehouse_totals(warehouse_path) == (0, 0, 0)


def test_real_spec_example_with_an_impossible_time_fails_its_period(tmp_path, warehouse_path):
    # The FOCUS spec's commitment purchase examples end one charge at `2023-02-01T30:00:00Z`.
    folder = copy("focus", tmp_path)
    name = "commitment_discount_purchase_scenario_2.csv"
    assert load(folder, warehouse_path) == {
        "2023-01-01": f'{folder / name} line 4, column ChargePeriodEnd: "2023-02-01T30:00:00Z" '
        "is not a date and time"
    }


# ---------------------------------------------------------------------------------------------------
# 3. Duplicate columns, charge dates, billing periods


def test_duplicate_column_name_is_a_named_error(tmp_path, warehouse_path):
    # Before: the first of the two lineItem/UnblendedCost columns was loaded.
    folder = copy("cur2_csv_gz", tmp_path)
    assert isinstance(load(folder, warehouse_path)["2024-09-01"], int)
    before = warehouse_totals(warehouse_path, "2024-09-01")
    path = the_file(folder, "*.csv.gz")
    records = read_csv_file(path)
    write_csv_file(path, [[*records[0], "line_item_unblended_cost"]] + [[*r, "999"] for r in records[1:]])
    assert load(folder, warehouse_path) == {
        "2024-09-01": f"{path}: column 'line_item_unblended_cost' appears twice (columns 23 and 31); "
        "which one to load is unknown"
    }
    assert warehouse_totals(warehouse_path, "2024-09-01") == before


def test_line_item_without_a_charge_date_is_an_error(tmp_path, warehouse_path):
    folder = copy("cur_legacy_minimal", tmp_path)
    path = folder / "sample-legacy-csv.csv"
    set_field(path, 3, "lineItem/UsageStartDate", "")
    assert load(folder, warehouse_path) == {
        "2025-01-01": f"{path} line 3: line item without a charge date (lineItem/UsageStartDate empty)"
    }


def test_charge_outside_the_files_billing_period_is_an_error(tmp_path, warehouse_path):
    folder = copy("cur2_csv_gz", tmp_path)
    assert isinstance(load(folder, warehouse_path)["2024-09-01"], int)
    before = warehouse_totals(warehouse_path, "2024-09-01")
    path = the_file(folder, "*.csv.gz")
    set_field(path, 3, "line_item_usage_start_date", "2024-07-15T00:00:00Z")
    assert load(folder, warehouse_path) == {
        "2024-09-01": f'{path} line 3, column line_item_usage_start_date: "2024-07-15T00:00:00Z" is outside '
        "the line item's billing period 2024-09 (bill_billing_period_start_date)"
    }
    assert warehouse_totals(warehouse_path, "2024-09-01") == before


def test_real_edge_cases_at_the_period_bounds_load(tmp_path, warehouse_path):
    """Usage ending at the first instant of next month, RI fees over the whole month, a one-year
    commitment purchase (FOCUS), tax and fee lines dated on the period start: all legitimate."""
    assert load(FIXTURES / "athena_parquet", warehouse_path) == {"2018-12-01": 91264}
    focus = tmp_path / "focus"
    focus.mkdir()
    shutil.copy(FIXTURES / "focus" / "commitment_discount_purchase_scenario_1.csv", focus)
    assert load(focus, warehouse_path) == {"2023-01-01": 1}
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        bounds = conn.execute(
            "select billing_period, charge_type, count(*), min(charge_period_start), max(charge_period_end) "
            "from raw.billing_line_items where charge_type in ('RIFee', 'Purchase') "
            "or charge_period_end = date_trunc('month', charge_period_start) + interval 1 month "
            "group by all order by all"
        ).fetchall()
    assert [(str(b[0]), b[1]) for b in bounds] == [
        ("2018-12-01", "DiscountedUsage"),
        ("2018-12-01", "RIFee"),
        ("2018-12-01", "Usage"),
        ("2023-01-01", "Purchase"),
    ]
    assert bounds[1][2] == 9 and bounds[1][3] == datetime(2018, 12, 1)
    assert bounds[3][4] == datetime(2024, 1, 1)  # charged over a year, billed in January 2023


def _tz_parquet(path: Path, usage_start: str) -> None:
    """A CUR 2.0 Parquet file whose dates are TIMESTAMPTZ written with a -05 offset."""
    with duckdb.connect() as conn:
        conn.execute(
            "copy (select 'a' as identity_line_item_id, "
            "'2025-03-01 00:00:00+00'::timestamptz as bill_billing_period_start_date, "
            "$start::timestamptz as line_item_usage_start_date, "
            "'2025-03-31 18:59:59.999999-05'::timestamptz as line_item_usage_end_date, "
            "'Usage' as line_item_line_item_type, 1.5::double as line_item_unblended_cost) "
            f"to '{path}' (format parquet)",  # noqa: S608 -- a test's own temporary path
            {"start": usage_start},
        )


def test_time_zone_dates_land_as_utc_and_an_infinite_date_is_named(tmp_path, warehouse_path):
    """TIMESTAMPTZ columns land as the UTC time to the microsecond, whatever offset wrote them; an
    infinite charge date fails its period, named, and the period loaded before stays."""
    folder = tmp_path / "tz"
    folder.mkdir()
    _tz_parquet(folder / "part-1.parquet", "2025-03-01 00:00:00-05")
    assert load(folder, warehouse_path) == {"2025-03-01": 1}
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        landed = conn.execute(
            "select charge_period_start, charge_period_end from raw.billing_line_items"
        ).fetchall()
    assert landed == [(datetime(2025, 3, 1, 5), datetime(2025, 3, 31, 23, 59, 59, 999999))]
    before = warehouse_totals(warehouse_path, "2025-03-01")
    _tz_parquet(folder / "part-1.parquet", "infinity")
    assert load(folder, warehouse_path) == {
        "2025-03-01": f"{folder / 'part-1.parquet'} row 0 (row group 0; both counted from 0), column "
        'line_item_usage_start_date: "infinity" is outside the line item\'s billing period 2025-03 '
        "(bill_billing_period_start_date)"
    }
    assert warehouse_totals(warehouse_path, "2025-03-01") == before


NOW = datetime(2025, 1, 15, tzinfo=UTC)  # next month: 2025-02


def _dated(tmp_path: Path, name: str, month: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    text = (FIXTURES / "cur_legacy_minimal" / "sample-legacy-csv.csv").read_text()
    (folder / "export.csv").write_text(text.replace("2025-01-", f"{month}-"))
    return folder


def test_billing_period_after_next_month_is_never_created(tmp_path, warehouse_path):
    assert load(_dated(tmp_path, "next", "2025-02"), warehouse_path, now=NOW) == {"2025-02-01": 4}
    later = _dated(tmp_path, "later", "2025-03")
    discovery = discover(open_store(str(later)), now=NOW)
    assert discovery.periods == {}
    assert discovery.problems == [
        f'{later / "export.csv"} line 2, column lineItem/UsageStartDate: "2025-03-01T00:00:00Z" dates the '
        "line item in billing period 2025-03, after next month (2025-02)"
    ]
    # Before: a file dated 2099 created a 2099 period (and the "open month" for budget alerts).
    far = _dated(tmp_path, "far", "2099-01")
    assert discover(open_store(str(far))).periods == {}


def test_one_row_after_next_month_fails_the_files_period(tmp_path, warehouse_path):
    folder = copy("cur_legacy_minimal", tmp_path)
    path = folder / "sample-legacy-csv.csv"
    set_field(path, 5, "lineItem/UsageStartDate", "2099-01-02T00:00:00Z")
    assert load(folder, warehouse_path) == {
        "2025-01-01": f'{path} line 5, column lineItem/UsageStartDate: "2099-01-02T00:00:00Z" dates the line '
        f"item in billing period 2099-01, after next month ({_next_month()})"
    }


def _next_month() -> str:
    today = datetime.now(UTC).date()
    return f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"


def test_manifest_for_a_period_after_next_month_is_a_problem(tmp_path):
    folder = copy("cur2_csv_gz", tmp_path)
    manifest = the_file(folder, "*-Manifest.json")
    doc = json.loads(manifest.read_text())
    doc["billingPeriod"] = {"start": "2099-09-01T00:00:00Z", "end": "2099-10-01T00:00:00Z"}
    manifest.write_text(json.dumps(doc))
    discovery = discover(open_store(str(folder)))
    assert discovery.periods == {}
    assert any(
        p.startswith(f"{manifest}: billing period 2099-09 is after next month") for p in discovery.problems
    )


# ---------------------------------------------------------------------------------------------------
# 4. Rows read equal rows landed, inside the transaction


def test_rows_read_and_landed_are_compared_per_file(tmp_path, warehouse_path):
    """The check itself, on a real load: a row that goes missing between reading and landing fails."""
    folder = copy("koku_s3_layout", tmp_path)
    store = open_store(str(folder))
    period = discover(store).period("2018-08-01")
    key = period.partition_key
    with duckdb.connect(str(warehouse_path)) as conn, WorkDir() as workdir:
        assert load_period(conn, store, period).row_count == 6190
        selects, params, _, _ = _build_incoming(conn, store, period, workdir)
        incoming = " union all by name ".join(f"({s})" for s in selects)
        params["billing_period"] = key
        conn.execute("begin transaction")
        _check_rows_read_landed(conn, key, incoming, params)  # as loaded: every row landed
        conn.execute(
            "delete from raw.billing_line_items where rowid = (select min(rowid) from raw.billing_line_items)"
        )
        with pytest.raises(BillingInputError) as caught:
            _check_rows_read_landed(conn, key, incoming, params)
        conn.execute("rollback")
    assert str(caught.value) == (
        f"{the_file(folder, '*.csv.gz')}: 6,190 line items read for billing period 2018-08-01 (of 6,190 in "
        "the file) but 6,189 landed; the period was not changed"
    )


# ---------------------------------------------------------------------------------------------------
# 5. S3: the object that arrives must be the object listed


def upload(s3, root: Path, prefix: str) -> None:
    s3.create_bucket(Bucket="billing")
    for path in root.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "billing", f"{prefix}/{path.relative_to(root).as_posix()}")


DATA_KEY = "exports/cur2/mock-cur-v2-bucket/data/BILLING_PERIOD=2024-09/MockTestReportV2-00001.csv.gz"


def test_s3_object_that_differs_from_the_listing_fails_the_period(moto_endpoint, warehouse_path, tmp_path):
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    upload(s3, FIXTURES / "cur2_csv_gz", "exports/cur2")
    store = open_export_store("s3://billing/exports/cur2")
    with duckdb.connect(str(warehouse_path)) as conn:
        load_period(conn, store, discover(store).period("2024-09-01"))
    before = warehouse_totals(warehouse_path, "2024-09-01")
    assert before[0] == 4

    period = discover(store).period("2024-09-01")  # listed; then the object is rewritten, shorter
    listed = next(f.size for f in period.files)
    local = tmp_path / "short.csv.gz"
    s3.download_file("billing", DATA_KEY, str(local))
    records = read_csv_file(local)
    write_csv_file(local, records[:3])
    s3.upload_file(str(local), "billing", DATA_KEY)
    with duckdb.connect(str(warehouse_path)) as conn, pytest.raises(BillingInputError) as caught:
        load_period(conn, store, period, force=True)
    assert str(caught.value) == (
        f"s3://billing/{DATA_KEY}: downloaded {local.stat().st_size:,} bytes but S3 listed {listed:,} (the "
        "object changed or the download was cut); the billing period was not changed, the next refresh retries"
    )
    assert warehouse_totals(warehouse_path, "2024-09-01") == before


class CuttingProxy(ThreadingHTTPServer):
    """Forwards every request to the moto server, but answers a GET of one object with its headers and
    only half of its body before hanging up: a download that fails midway, every time."""

    daemon_threads = True

    def __init__(self, upstream: str, cut_suffix: str):
        self.upstream = urlparse(upstream)
        self.cut_suffix = cut_suffix
        self.cuts = 0
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def forward(self) -> None:
        server: CuttingProxy = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(server.upstream.hostname, server.upstream.port, timeout=30)
        upstream.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
        response = upstream.getresponse()
        data = response.read()
        upstream.close()
        cut = self.command == "GET" and urlparse(self.path).path.endswith(server.cut_suffix)
        self.send_response_only(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection"):
                self.send_header(name, value)
        self.end_headers()
        if cut and response.status < 300:
            server.cuts += 1
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
        else:
            self.wfile.write(data)

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = forward


def test_s3_download_failing_midway_fails_the_period(moto_endpoint, monkeypatch, warehouse_path):
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    upload(s3, FIXTURES / "cur2_csv_gz", "exports/cur2")
    proxy = CuttingProxy(moto_endpoint, "MockTestReportV2-00001.csv.gz")
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{proxy.server_address[1]}")
    try:
        store = open_export_store("s3://billing/exports/cur2")
        period = discover(store).period("2024-09-01")
        with duckdb.connect(str(warehouse_path)) as conn, pytest.raises(BillingInputError) as caught:
            load_period(conn, store, period)
    finally:
        proxy.shutdown()
    assert proxy.cuts >= 1
    message = str(caught.value)
    assert message.startswith(f"s3://billing/{DATA_KEY}: download failed (")
    assert message.endswith("); the billing period was not changed")
    assert "\n" not in message
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.billing_line_items").fetchone() == (0,)


# ---------------------------------------------------------------------------------------------------
# 6. Configuration problems: one line naming the setting, non-zero exit, no traceback


def refresh_error(capsys) -> tuple[int, str]:
    code = cli.main(["refresh", "--no-build"])
    out = capsys.readouterr()
    assert out.out == ""
    assert "Traceback" not in out.err
    assert out.err.count("\n") == 1, out.err
    return code, out.err.strip()


def test_missing_folder_or_a_file_is_named_in_one_line(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("CUR_EXPORT_URI", str(missing))
    assert refresh_error(capsys) == (
        2,
        f"mlcost refresh: CUR_EXPORT_URI={missing}: no such folder; set CUR_EXPORT_URI to the folder (or "
        "s3://bucket/prefix) your billing exports are delivered to",
    )
    a_file = FIXTURES / "cur_legacy_minimal" / "sample-legacy-csv.csv"
    monkeypatch.setenv("CUR_EXPORT_URI", str(a_file))
    assert refresh_error(capsys) == (
        2,
        f"mlcost refresh: CUR_EXPORT_URI={a_file} is a file, not a folder; set it to the folder that holds "
        f"the exports (perhaps {a_file.parent})",
    )


def test_empty_export_folder_says_which_layouts_were_looked_for(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "README.txt").write_text("exports arrive here")
    monkeypatch.setenv("CUR_EXPORT_URI", str(folder))
    code, line = refresh_error(capsys)
    assert code == 2
    assert line.startswith(
        f"mlcost refresh: CUR_EXPORT_URI={folder.resolve()}: no billing export found (1 other"
    )
    for layout in ("legacy CUR", "BILLING_PERIOD=YYYY-MM", "Manifest.json", "loose .csv"):
        assert layout in line


def test_s3_without_credentials_or_unreachable_or_without_bucket(moto_endpoint, monkeypatch, capsys):
    import boto3

    monkeypatch.setenv("CUR_EXPORT_URI", "s3://billing/exports")
    # No bucket: the moto server answers NoSuchBucket.
    assert refresh_error(capsys) == (
        2,
        "mlcost refresh: CUR_EXPORT_URI=s3://billing/exports: bucket 'billing' does not exist; set "
        "CUR_EXPORT_URI to the folder (or s3://bucket/prefix) your billing exports are delivered to",
    )
    # Unreachable: nothing listens on the endpoint.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, line = refresh_error(capsys)
    assert code == 2
    assert line.startswith("mlcost refresh: CUR_EXPORT_URI=s3://billing/exports: S3 is unreachable (")
    assert line.endswith("; check AWS_ENDPOINT_URL=http://127.0.0.1:9")
    # No credentials anywhere (and no instance metadata to ask), as in a fresh process: boto3's default
    # session would otherwise keep the credentials it resolved for the calls above.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    assert refresh_error(capsys) == (
        2,
        "mlcost refresh: CUR_EXPORT_URI=s3://billing/exports: no AWS credentials found; set AWS_PROFILE, or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role provides them",
    )


def test_the_installed_command_prints_one_line_and_no_traceback(tmp_path):
    missing = tmp_path / "nowhere"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CUR_EXPORT_URI": str(missing),
        "WAREHOUSE_PATH": str(tmp_path / "wh.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "DAGSTER_DISABLE_TELEMETRY": "true",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mlcost"), "refresh"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"mlcost refresh: CUR_EXPORT_URI={missing}: no such folder; set CUR_EXPORT_URI to the folder (or "
        "s3://bucket/prefix) your billing exports are delivered to"
    ]


def test_connection_settings_are_reset_after_locating(tmp_path):
    """Locating a bad value reads in file order; the ingest connection goes back to unordered reads."""
    folder = copy("cur2_csv_gz", tmp_path)
    set_field(the_file(folder, "*.csv.gz"), 4, "line_item_unblended_cost", "abc")
    conn = duckdb.connect()
    prepare_connection(conn)
    store = open_store(str(folder))
    with pytest.raises(BillingInputError, match='line 4, column line_item_unblended_cost: "abc"'):
        load_period(conn, store, discover(store).period("2024-09-01"))
    assert conn.execute("select current_setting('preserve_insertion_order')").fetchone() == (False,)
