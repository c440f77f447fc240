"""Reading export files with DuckDB and mapping their columns onto raw.billing_line_items.

Each export format names its columns differently (legacy CUR CSV `lineItem/UnblendedCost`, Athena or
CUR 2.0 `line_item_unblended_cost`, FOCUS `BilledCost`). Files are read by name, never by position, so
schema drift between months is harmless. The SQL built here contains only quoted identifiers taken
from the files' own headers; every value (paths, periods, tag keys) is a bound parameter.

Every cast is strict: a value that is present but cannot be read as its type fails the load. When a
load fails, `locate` finds the first offending value with a query over the file (the same casts as
`try_cast`, used only to point at the value, never to load) and names file, line, column and value.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from pipelines.lib import settings
from pipelines.lib.billing import BillingInputError
from pipelines.lib.sql import quote_ident as q

DECIMAL = "DECIMAL(38, 10)"
EMPTY_TAGS = "CAST(MAP {} AS MAP(VARCHAR, VARCHAR))"

# Macros every ingest connection defines once (see prepare_connection).
MACROS = (
    "create or replace temp macro mlcost_text(x) as nullif(trim(cast(x as varchar)), '')",
    # A TIMESTAMPTZ as the naive UTC timestamp (what timezone('UTC', ts) returns): from its epoch
    # microseconds, ~15x cheaper than the ICU conversion; infinities keep the ICU path.
    "create or replace temp macro mlcost_utc(ts) as "
    "case when isfinite(ts) then make_timestamp(epoch_us(ts)) else timezone('UTC', ts) end",
    # Every line item needs a date that places it in a billing period, inside that period, and no
    # period later than next month: any other row fails the statement (`locate` then names it).
    "create or replace temp macro mlcost_row_is_valid(period, charge_start, latest) as case "
    "when period is null then error('billing: a line item has no charge date') "
    "when period > latest then error('billing: a line item is dated after next month') "
    "when charge_start is not null and date_trunc('month', charge_start) <> period "
    "then error('billing: a line item is charged outside its billing period') else true end",
    "create or replace temp macro mlcost_tag_key(k) as lower(regexp_replace(trim(k), '^(user:|user_)', '', 'i'))",
    # Drop tags with empty values (CUR writes every tag column on every row).
    "create or replace temp macro mlcost_clean_tags(m) as "
    "map_from_entries(list_filter(map_entries(m), e -> e.value is not null and trim(e.value) <> ''))",
    # Normalized keys; when two original keys fold to one (Team / team), the first non-empty wins.
    "create or replace temp macro mlcost_norm_tags(m) as map_from_entries(list_filter("
    "list_transform(map_entries(m), e -> struct_pack(key := mlcost_tag_key(e.key), value := e.value)), "
    "(e, i) -> list_position(list_transform(map_entries(m), x -> mlcost_tag_key(x.key)), e.key) = i))",
    # A tag set's id (raw.billing_tag_sets): the 64-bit hash of its cleaned original map, as a signed
    # BIGINT (every engine reads one; DuckDB's hash is unsigned, so its lowest bit is dropped).
    "create or replace temp macro mlcost_tag_set_id(m) as cast(hash(m) >> 1 as bigint)",
)

CUR_ARN = re.compile(r"(?<![a-z])a_r_n(?![a-z])")
CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")


def snake(name: str) -> str:
    """`UnblendedCost` -> `unblended_cost`, `ReservationARN` -> `reservation_arn`."""
    return CAMEL_2.sub(r"\1_\2", CAMEL_1.sub(r"\1_\2", name)).lower()


def canonical_cur_name(name: str) -> str:
    """Legacy CSV and Athena/CUR 2.0 column names onto one spelling (`line_item_unblended_cost`)."""
    if "/" in name:
        category, _, rest = name.partition("/")
        return f"{snake(category)}_{snake(rest)}".replace(" ", "_")
    return CUR_ARN.sub("arn", name.strip().lower())


@dataclass
class FileGroup:
    """Files of one period read by one DuckDB table function call."""

    reader: str  # 'csv' or 'parquet'
    paths: list[Path]
    display: dict[str, str]  # local path -> name used in messages and source_file
    columns: dict[str, str] = field(default_factory=dict)  # actual column -> DuckDB type
    csv_columns: list[str] = field(default_factory=list)
    original: dict[str, str] = field(default_factory=dict)  # column as read -> header text in the file


def reader_for(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith((".csv", ".csv.gz", ".csv.zip", ".zip")):
        return "csv"
    return None


def materialize_local(local: Path, display: str, workdir: Path, verify: bool = True) -> Path:
    """A local file DuckDB can read in full: .zip exports unpacked into workdir (extraction checks each
    member's CRC), .gz checked to be complete (unless `verify` is off: discovery, which loads nothing);
    other files are used in place."""
    lower = local.name.lower()
    if lower.endswith(".gz") and verify:
        verify_gzip(local, display)
    if not lower.endswith(".zip"):
        return local
    try:
        with zipfile.ZipFile(local) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise BillingInputError(
                    f"{display}: expected one CSV in the zip archive, found {len(members)}"
                )
            target = workdir / "unzipped" / f"{abs(hash(display))}-{Path(members[0].filename).name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(members[0]) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            return target
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BillingInputError(f"{display}: corrupt zip archive ({exc})") from exc


def verify_gzip(local: Path, display: str) -> None:
    """DuckDB reads a gzip stream cut at a row boundary (a partial download or copy) or one whose CRC
    is wrong without complaint, loading part of the month. Decompressing it once here (zlib, in C,
    1 MiB at a time) checks the end-of-stream marker, CRC and length of every member."""
    try:
        with gzip.open(local, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except EOFError as exc:
        raise BillingInputError(
            f"{display}: incomplete gzip file, it ends before its end-of-stream marker "
            "(a partial download or copy?); nothing of it was loaded"
        ) from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise BillingInputError(f"{display}: corrupt gzip file ({exc}); nothing of it was loaded") from exc
    except OSError as exc:
        raise BillingInputError(f"{display}: cannot be read ({exc})") from exc


def csv_header(local: Path, display: str) -> list[str]:
    opener = gzip.open if local.name.lower().endswith(".gz") else open
    try:
        with opener(local, "rt", newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(io.StringIO(fh.readline())), [])
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise BillingInputError(f"{display}: cannot be read ({exc})") from exc
    if not header or not any(h.strip() for h in header):
        raise BillingInputError(f"{display}: empty file, no header row")
    _reject_duplicates(header, display)
    return header


def parquet_columns(local: Path, display: str) -> tuple[str, ...]:
    """Column names from the Parquet footer (a file without its footer is not readable)."""
    import pyarrow.parquet as pq

    try:
        names = tuple(pq.read_schema(local).names)
    except Exception as exc:  # noqa: BLE001 - any unreadable footer is bad input, named with its file
        raise BillingInputError(f"{display}: not a readable Parquet file ({exc})") from exc
    _reject_duplicates(names, display)
    return names


def _reject_duplicates(names, display: str) -> None:
    """Two columns with one name: which one holds the cost is unknown, so neither is guessed."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name in seen:
            raise BillingInputError(
                f"{display}: column {name!r} appears twice (columns {seen[name]} and {i}); "
                "which one to load is unknown"
            )
        seen[name] = i


def latest_period(now: datetime | None = None) -> date:
    """The latest billing period an export can hold: next month (AWS opens a month on its first day)."""
    today = (now or datetime.now(UTC)).date()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def prepare_connection(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("set TimeZone = 'UTC'")
    # Bounded memory whatever the export's size: DuckDB spills to disk past the limit, and row order
    # within a period does not matter (it would otherwise hold rows back to keep file order).
    conn.execute("set memory_limit = $limit", {"limit": settings.get("DUCKDB_MEMORY_LIMIT") or "1GB"})
    conn.execute("set preserve_insertion_order = false")
    for macro in MACROS:
        conn.execute(macro)


def _csv_source(group: FileGroup, numbered: bool = False) -> tuple[str, dict]:
    columns = {name: "VARCHAR" for name in group.csv_columns}
    sql = (
        "read_csv($files, columns = $csv_columns, auto_detect = false, header = true, delim = ',', "
        "quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        "nullstr = ['', 'NULL', 'null'], filename = true)"
    )
    if numbered:
        # Data row n is line n + 1 (the header is line 1); rows come in file order here.
        sql = f"(select row_number() over () + 1 as mlcost_position, * from {sql})"  # noqa: S608
    return sql, {"files": [str(p) for p in group.paths], "csv_columns": columns}


def _parquet_source(group: FileGroup, numbered: bool = False) -> tuple[str, dict]:
    if numbered:
        sql = (
            "(select file_row_number as mlcost_position, * exclude (file_row_number) "
            "from read_parquet($files, union_by_name = true, filename = true, file_row_number = true))"
        )
    else:
        sql = "read_parquet($files, union_by_name = true, filename = true)"
    return sql, {"files": [str(p) for p in group.paths]}


def source_sql(group: FileGroup, numbered: bool = False) -> tuple[str, dict]:
    """The table function reading a group; `numbered` adds mlcost_position (CSV line, Parquet row)."""
    return _csv_source(group, numbered) if group.reader == "csv" else _parquet_source(group, numbered)


def describe(conn: duckdb.DuckDBPyConnection, group: FileGroup) -> None:
    """Fill group.columns with each column's name and type (union by name across the group)."""
    if group.reader == "csv":
        # Callers group CSV files by identical header: explicit columns (no sniffing) make DuckDB's
        # strict parser report ragged rows instead of guessing a dialect around them.
        headers = {tuple(csv_header(path, group.display[str(path)])) for path in group.paths}
        if len(headers) != 1:
            raise BillingInputError(f"{_files_label(group)}: CSV files of one group must share a header")
        group.csv_columns = []
        seen: set[str] = set()
        for name in headers.pop():
            # DuckDB names are case-insensitive; CUR tag columns can differ only in case
            # (resourceTags/user:Model, resourceTags/user:model): keep both under distinct names.
            unique, n = name, 1
            while unique.lower() in seen:
                n += 1
                unique = f"{name}#{n}"
            seen.add(unique.lower())
            group.csv_columns.append(unique)
            group.original[unique] = name
    else:
        for path in group.paths:
            parquet_columns(path, group.display[str(path)])
    source, params = source_sql(group)
    try:
        rows = conn.execute(f"describe select * from {source}", params).fetchall()  # noqa: S608
    except duckdb.Error as exc:
        raise BillingInputError(f"{_files_label(group)}: cannot be read ({short_error(exc)})") from exc
    group.columns = {row[0]: row[1] for row in rows if row[0] != "filename"}


def _files_label(group: FileGroup) -> str:
    names = [group.display[str(p)] for p in group.paths]
    return names[0] if len(names) == 1 else ", ".join(names)


def short_error(exc: Exception) -> str:
    """DuckDB's message in one line, without echoing the offending data line (it may hold secrets)."""
    text = str(exc)
    first = text.splitlines()[0] if text.strip() else type(exc).__name__
    first = re.sub(r"^[A-Za-z ]*Error: ", "", first)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if line and columns:
        return f"line {line.group(1)}: expected {columns.group(1)} columns, found {columns.group(2)} (ragged row)"
    if line:
        return f"line {line.group(1)}: {first}"
    return first


# ---------------------------------------------------------------------------------------------------
# Column expressions


@dataclass(frozen=True)
class Check:
    """One strict cast, seen from the other side: true on a row whose value is present but unreadable."""

    column: str  # the column as the file names it
    bad: str  # SQL predicate over the source columns
    value: str  # SQL: the offending value as text
    problem: str  # what is wrong, after the value: 'is not a number'


class Columns:
    """Looks up source columns by canonical name and builds typed, NULL-safe, strict expressions.

    Every cast that bad input can fail is registered as a Check, so `locate` can point at the first
    value that fails it. With try_mode the same expressions use try_cast: for locating only.
    """

    def __init__(self, group: FileGroup, canon, label: str, try_mode: bool = False):
        self.types = group.columns
        self.original = group.original
        self.label = label
        self.try_mode = try_mode
        self.by_canon: dict[str, str] = {}
        self.clashes: dict[str, list[str]] = {}
        for name in self.types:
            key = canon(name)
            if key in self.by_canon:
                self.clashes.setdefault(key, [self.by_canon[key]]).append(name)
            else:
                self.by_canon[key] = name
        self.checks: dict[str, Check] = {}

    def header(self, actual: str) -> str:
        return self.original.get(actual, actual)

    def _get(self, name: str) -> str | None:
        return self.by_canon.get(name)

    def ref(self, actual: str) -> str:
        """The quoted column. One field written under two spellings (`reservation_reservation_arn`
        and `reservation_reservation_a_r_n`, real in a CUR 2.0 export) must hold the same value in
        both on every row: where they disagree the load fails, as which one is right is unknown."""
        twins = [t for key, names in self.clashes.items() if names[0] == actual for t in names[1:]]
        if not twins:
            return q(actual)
        for twin in twins:
            self.checks.setdefault(
                f"{twin}\0",
                Check(
                    self.header(twin),
                    f"(mlcost_text({q(actual)}) is distinct from mlcost_text({q(twin)}))",
                    f"cast({q(twin)} as varchar)",
                    f"disagrees with column {self.header(actual)} on the same row; which one to load is unknown",
                ),
            )
        if self.try_mode:
            return q(actual)
        differ = " or ".join(f"mlcost_text({q(actual)}) is distinct from mlcost_text({q(t)})" for t in twins)
        return f"(case when {differ} then error('billing: two columns of one field disagree') else {q(actual)} end)"

    def has(self, *names: str) -> bool:
        return any(n in self.by_canon for n in names)

    def actual(self, *names: str) -> str | None:
        for n in names:
            if a := self._get(n):
                return a
        return None

    def _type(self, actual: str) -> str:
        return self.types[actual].upper()

    def _strict(self, actual: str, inner: str, type_: str, problem: str, wrap: str = "{}") -> str:
        """`cast(inner as type_)` (inside `wrap`), registering the Check that finds values failing it."""
        loose = f"try_cast({inner} as {type_})"
        if type_.startswith("MAP"):  # JSON text: parsed, then read as a map of strings
            loose = f"try_cast(try_cast({inner} as json) as {type_})"
        self.checks.setdefault(
            actual,
            Check(
                self.header(actual),
                f"({inner} is not null and {loose} is null)",
                f"cast({q(actual)} as varchar)",
                problem,
            ),
        )
        if self.try_mode:
            return wrap.format(loose)
        strict = (
            f"cast(cast({inner} as json) as {type_})"
            if type_.startswith("MAP")
            else f"cast({inner} as {type_})"
        )
        return wrap.format(strict)

    def text(self, *names: str) -> str:
        parts = [f"mlcost_text({self.ref(a)})" for a in (self._get(n) for n in names) if a]
        return _coalesce(parts, "cast(null as varchar)")

    def account(self, *names: str) -> str:
        parts = []
        for n in names:
            a = self._get(n)
            if not a:
                continue
            if any(t in self._type(a) for t in ("INT", "DECIMAL", "DOUBLE", "FLOAT")):
                # Parquet writers sometimes type account ids as numbers: restore the leading zeros.
                parts.append(
                    self._strict(
                        a, self.ref(a), "BIGINT", "is not an account id", "lpad(cast({} as varchar), 12, '0')"
                    )
                )
            else:
                parts.append(f"mlcost_text({self.ref(a)})")
        return _coalesce(parts, "cast(null as varchar)")

    def money(self, *names: str) -> str:
        """Exact decimal; a value that is present but not a number fails the load (strict cast)."""
        parts = []
        for n in names:
            a = self._get(n)
            if not a:
                continue
            inner = f"nullif(trim({self.ref(a)}), '')" if self._type(a) == "VARCHAR" else self.ref(a)
            parts.append(self._strict(a, inner, DECIMAL, "is not a number"))
        return _coalesce(parts, f"cast(null as {DECIMAL})")

    def number(self, *names: str) -> str:
        parts = []
        for n in names:
            a = self._get(n)
            if not a:
                continue
            inner = f"mlcost_text({self.ref(a)})" if self._type(a) == "VARCHAR" else self.ref(a)
            parts.append(self._strict(a, inner, "DOUBLE", "is not a number"))
        return _coalesce(parts, "cast(null as double)")

    def timestamp(self, *names: str) -> str:
        parts = []
        for n in names:
            a = self._get(n)
            if not a:
                continue
            t = self._type(a)
            if t == "VARCHAR":
                # Any ISO form (`...Z`, `+00:00`, naive UTC); `01/15/2025 3PM` fails the load.
                inner = f"nullif(trim({self.ref(a)}), '')"
                parts.append(
                    self._strict(a, inner, "TIMESTAMPTZ", "is not a date and time", "mlcost_utc({})")
                )
            elif "WITH TIME ZONE" in t:
                parts.append(f"mlcost_utc({self.ref(a)})")
            else:
                parts.append(f"cast({self.ref(a)} as timestamp)")
        return _coalesce(parts, "cast(null as timestamp)")

    def map_column(self, actual: str) -> str:
        t = self._type(actual)
        if t.startswith("MAP"):
            return f"cast({self.ref(actual)} as map(varchar, varchar))"
        # JSON text in CSV exports ('{}' when empty); text that is not a JSON object fails the load.
        inner = f"nullif(trim(cast({self.ref(actual)} as varchar)), '')"
        return self._strict(actual, inner, "MAP(VARCHAR, VARCHAR)", "is not a JSON object")


def _coalesce(parts: list[str], empty: str) -> str:
    if not parts:
        return empty
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


@dataclass
class Normalized:
    """A SELECT producing raw.billing_line_items columns (plus helpers) from one file group."""

    template: str  # with {source} (the table function) and {extra} (more columns, for locating)
    params: dict
    source_format: str
    checks: list[Check] = field(default_factory=list)
    period_columns: list[str] = field(default_factory=list)  # what dates a row's billing period
    charge_column: str | None = None  # the line item's charge (usage) start

    def sql(self, source: str, extra: str = "") -> str:
        return self.template.replace("{extra}", extra).replace("{source}", source)


REQUIRED_CUR = ("line_item_unblended_cost",)
REQUIRED_FOCUS = ("billedcost",)


def detect_format(columns: dict[str, str]) -> str:
    lowered = {c.lower() for c in columns}
    if "billedcost" in lowered:
        return "focus"
    canon = {canonical_cur_name(c) for c in columns}
    if not canon & {"line_item_unblended_cost", "line_item_line_item_type", "identity_line_item_id"}:
        return "unknown"
    # Legacy: CSV names with a category prefix, or Athena Parquet (one column per tag, year/month).
    if any("/" in c for c in columns) or any(c.lower().startswith("resource_tags_") for c in columns):
        return "cur_legacy"
    if {"year", "month"} <= lowered:
        return "cur_legacy"
    return "cur2"
    return "unknown"


def normalize(group: FileGroup, try_mode: bool = False) -> Normalized:
    """Build the normalizing SELECT for a described file group (try_mode: for `locate` only)."""
    fmt = detect_format(group.columns)
    label = _files_label(group)
    if fmt == "unknown":
        raise BillingInputError(
            f"{label}: not a recognised billing export (no lineItem/UnblendedCost, line_item_unblended_cost "
            f"or BilledCost column; found {len(group.columns)} columns)"
        )
    if fmt == "focus":
        return _normalize_focus(group, label, try_mode)
    return _normalize_cur(group, label, fmt, try_mode)


def _require(cols: Columns, label: str, needed: tuple[str, ...], shown: str) -> None:
    if not cols.has(*needed):
        raise BillingInputError(f"{label}: missing required column {shown}")


def _normalize_cur(group: FileGroup, label: str, fmt: str, try_mode: bool) -> Normalized:
    cols = Columns(group, canonical_cur_name, label, try_mode)
    _require(cols, label, REQUIRED_CUR, "lineItem/UnblendedCost (line_item_unblended_cost)")
    _require(
        cols,
        label,
        ("bill_billing_period_start_date", "line_item_usage_start_date"),
        "bill/BillingPeriodStartDate or lineItem/UsageStartDate",
    )
    params: dict = {}

    # Tags: CUR 2.0 map column (or its JSON text), else one column per tag (legacy CSV / Athena).
    tags_col = cols.actual("resource_tags")
    if tags_col:
        original = cols.map_column(tags_col)
    else:
        tag_columns = [
            c
            for c in group.columns
            if c.startswith("resourceTags/") or c.lower().startswith("resource_tags_")
        ]
        if tag_columns:
            headers = [group.original.get(c, c) for c in tag_columns]
            params["tag_keys"] = [
                h.split("/", 1)[1] if "/" in h else h[len("resource_tags_") :] for h in headers
            ]
            values = ", ".join(f"cast({q(c)} as varchar)" for c in tag_columns)
            original = f"map($tag_keys::varchar[], [{values}])"
        else:
            original = EMPTY_TAGS

    line_type = cols.text("line_item_line_item_type")
    unblended = cols.money("line_item_unblended_cost")
    reservation_arn = cols.text("reservation_reservation_arn")
    savings_plan_arn = cols.text("savings_plan_savings_plan_arn")
    effective = _amortized(cols, line_type, reservation_arn, unblended, net=False)
    # Net columns exist only on accounts with discounts (EDP, private pricing): without them net
    # amortized cost cannot be known, so it stays NULL rather than repeating the gross amount.
    net_effective = (
        _amortized(cols, line_type, reservation_arn, unblended, net=True)
        if cols.has("line_item_net_unblended_cost")
        else "cast(null as DECIMAL(38, 10))"
    )

    usage_type = cols.text("line_item_usage_type")
    operation = cols.text("line_item_operation")
    period_ts = cols.timestamp("bill_billing_period_start_date", "line_item_usage_start_date")
    service_name_parts = [cols.text("product_product_name")]
    product_map = cols.actual("product")
    if product_map:
        service_name_parts.append(f"mlcost_text({cols.map_column(product_map)}['product_name'])")
    service_name_parts.append(cols.text("line_item_product_code"))

    select = f"""
    select
        cast(date_trunc('month', {period_ts}) as date) as row_billing_period,
        {cols.timestamp("line_item_usage_start_date")} as charge_period_start,
        {cols.timestamp("line_item_usage_end_date")} as charge_period_end,
        {cols.account("bill_payer_account_id")} as billing_account_id,
        {cols.account("line_item_usage_account_id")} as sub_account_id,
        'AWS' as provider_name,
        coalesce({", ".join(service_name_parts)}) as service_name,
        {cols.text("line_item_product_code")} as service_code,
        {usage_type} as usage_type,
        {operation} as operation,
        {line_type} as charge_type,
        {cols.text("line_item_line_item_description")} as charge_description,
        {cols.text("identity_line_item_id")} as line_item_id,
        {cols.text("line_item_resource_id")} as resource_id,
        {cols.text("line_item_iam_principal")} as iam_principal,
        {cols.text("product_region_code", "product_region")} as region,
        {cols.text("line_item_availability_zone")} as availability_zone,
        {cols.number("line_item_usage_amount")} as usage_quantity,
        {cols.text("pricing_unit")} as pricing_unit,
        {unblended} as billed_cost,
        {effective} as effective_cost,
        {net_effective} as net_effective_cost,
        {cols.money("pricing_public_on_demand_cost")} as list_cost,
        coalesce({cols.text("line_item_currency_code")}, 'USD') as billing_currency,
        coalesce({savings_plan_arn}, {reservation_arn}) as commitment_discount_id,
        {cols.text("product_product_family")} as product_family,
        {cols.text("product_instance_type")} as product_instance_type,
        {cols.text("product_instance_family")} as product_instance_family,
        {cols.text("pricing_term")} as pricing_term,
        {reservation_arn} as reservation_arn,
        {savings_plan_arn} as savings_plan_arn,
        {cols.text("bill_invoice_id")} as invoice_id,
        {cols.text("pricing_currency")} as pricing_currency,
        -- Split cost allocation rows re-state instance cost per pod/task: flagged, kept out of totals.
        coalesce({operation} in ('EKSPod-EC2', 'ECSTask-EC2')
            or {usage_type} like '%EKSPod-EC2%' or {usage_type} like '%ECSTask-EC2%', false)
            as is_split_cost_allocation,
        coalesce({original}, {EMPTY_TAGS}) as raw_tags,
        {{extra}}filename as source_path
    from {{source}}"""  # noqa: S608 -- identifiers only; values are bound parameters
    return Normalized(
        select, params, fmt, list(cols.checks.values()),
        [a for a in (cols.actual("bill_billing_period_start_date"), cols.actual("line_item_usage_start_date")) if a],
        cols.actual("line_item_usage_start_date"),
    )  # fmt: skip


def _amortized(cols: Columns, line_type: str, reservation_arn: str, unblended: str, net: bool) -> str:
    """Amortized cost by line item type, as Cost Explorer's "Amortized cost" (net=False) and "Net
    amortized cost" (net=True) compute it. In net mode a net value missing on a row falls back to
    the gross one (no discount applied to that line); unused commitments are net in net mode too."""

    def pick(net_name: str, gross_name: str) -> str:
        if net and cols.has(net_name):
            return f"coalesce({cols.money(net_name)}, {cols.money(gross_name)})"
        return cols.money(gross_name)

    sp_effective = pick(
        "savings_plan_net_savings_plan_effective_cost", "savings_plan_savings_plan_effective_cost"
    )
    ri_effective = pick("reservation_net_effective_cost", "reservation_effective_cost")
    ri_unused_upfront = pick(
        "reservation_net_unused_amortized_upfront_fee_for_billing_period",
        "reservation_unused_amortized_upfront_fee_for_billing_period",
    )
    ri_unused_recurring = pick("reservation_net_unused_recurring_fee", "reservation_unused_recurring_fee")
    sp_unused = (
        f"(coalesce({cols.money('savings_plan_total_commitment_to_date')}, 0) "
        f"- coalesce({cols.money('savings_plan_used_commitment')}, 0))"
    )
    usage_cost = unblended
    if net:
        net_unblended = cols.money("line_item_net_unblended_cost")
        usage_cost = f"coalesce({net_unblended}, {unblended})"
        # The unused part of a Savings Plan commitment carries the same discount as the commitment
        # fee it belongs to: gross unused times the fee line's net/gross ratio (1 without a fee).
        sp_unused = (
            f"cast(case when coalesce({unblended}, 0) = 0 then {sp_unused} "
            f"else {sp_unused} * cast(coalesce({net_unblended}, {unblended}) as double) "
            f"/ cast({unblended} as double) end as {DECIMAL})"
        )
    return f"""case {line_type}
            when 'SavingsPlanCoveredUsage' then {sp_effective}
            when 'SavingsPlanRecurringFee' then {sp_unused}
            when 'SavingsPlanNegation' then 0
            when 'SavingsPlanUpfrontFee' then 0
            when 'DiscountedUsage' then {ri_effective}
            when 'RIFee' then coalesce({ri_unused_upfront}, 0) + coalesce({ri_unused_recurring}, 0)
            when 'Fee' then case when {reservation_arn} is not null then 0 else {usage_cost} end
            else {usage_cost}
        end"""


def _normalize_focus(group: FileGroup, label: str, try_mode: bool) -> Normalized:
    cols = Columns(group, lambda n: n.strip().lower(), label, try_mode)
    _require(cols, label, REQUIRED_FOCUS, "BilledCost")
    _require(
        cols, label, ("billingperiodstart", "chargeperiodstart"), "BillingPeriodStart or ChargePeriodStart"
    )
    tags_col = cols.actual("tags")
    original = cols.map_column(tags_col) if tags_col else EMPTY_TAGS
    billed = cols.money("billedcost")
    commitment = cols.text("commitmentdiscountid")
    commitment_type = cols.text("commitmentdiscounttype")
    select = f"""
    select
        cast(date_trunc('month', {cols.timestamp("billingperiodstart", "chargeperiodstart")}) as date)
            as row_billing_period,
        {cols.timestamp("chargeperiodstart")} as charge_period_start,
        {cols.timestamp("chargeperiodend")} as charge_period_end,
        {cols.account("billingaccountid")} as billing_account_id,
        {cols.account("subaccountid")} as sub_account_id,
        {cols.text("providername", "serviceprovidername")} as provider_name,
        {cols.text("servicename")} as service_name,
        {cols.text("x_servicecode")} as service_code,
        {cols.text("x_usagetype")} as usage_type,
        {cols.text("x_operation")} as operation,
        {cols.text("chargecategory")} as charge_type,
        {cols.text("chargedescription")} as charge_description,
        cast(null as varchar) as line_item_id,
        {cols.text("resourceid")} as resource_id,
        {cols.text("regionid", "region")} as region,
        {cols.text("availabilityzone")} as availability_zone,
        {cols.number("consumedquantity", "usagequantity")} as usage_quantity,
        {cols.text("pricingunit", "consumedunit")} as pricing_unit,
        {billed} as billed_cost,
        -- EffectiveCost as given; an export without it has no amortization to apply.
        coalesce({cols.money("effectivecost")}, {billed}) as effective_cost,
        -- FOCUS has one amortized basis (EffectiveCost) and no gross/net pair: see docs/cost-bases.md.
        cast(null as {DECIMAL}) as net_effective_cost,
        {cols.money("listcost")} as list_cost,
        {cols.text("billingcurrency")} as billing_currency,
        {commitment} as commitment_discount_id,
        {cols.text("servicesubcategory", "x_productfamily")} as product_family,
        {cols.text("x_instancetype")} as product_instance_type,
        {cols.text("x_instancefamily")} as product_instance_family,
        {cols.text("pricingcategory")} as pricing_term,
        case when {commitment_type} ilike 'reserv%' or {commitment} ilike '%:reserved-instances/%'
            then {commitment} end as reservation_arn,
        case when {commitment_type} ilike 'savings%' or {commitment} ilike '%:savingsplan/%'
            then {commitment} end as savings_plan_arn,
        {cols.text("invoiceid")} as invoice_id,
        {cols.text("pricingcurrency")} as pricing_currency,
        false as is_split_cost_allocation,
        coalesce({original}, {EMPTY_TAGS}) as raw_tags,
        {{extra}}filename as source_path
    from {{source}}"""  # noqa: S608 -- identifiers only; values are bound parameters
    return Normalized(
        select, {}, "focus", list(cols.checks.values()),
        [a for a in (cols.actual("billingperiodstart"), cols.actual("chargeperiodstart")) if a],
        cols.actual("chargeperiodstart"),
    )  # fmt: skip


def file_group(
    conn: duckdb.DuckDBPyConnection, store, path: str, workdir: Path, verify: bool = True
) -> FileGroup:
    """One stored file as a described group of its own (checked complete unless not `verify`)."""
    label = store.display(path)
    local = materialize_local(store.local_path(path, workdir), label, workdir, verify)
    group = FileGroup(reader=reader_for(path), paths=[local], display={str(local): label})
    describe(conn, group)
    return group


def group_select(group: FileGroup) -> tuple[str, dict]:
    """The normalizing SELECT (and its parameters) of a described group."""
    normalized = normalize(group)
    source, params = source_sql(group)
    return normalized.sql(source), {**params, **normalized.params}


# Rows that `mlcost_row_is_valid` refuses, over the normalized columns.
ROW_IS_INVALID = (
    "row_billing_period is null or row_billing_period > $mlcost_latest or (charge_period_start is not null "
    "and date_trunc('month', charge_period_start) <> row_billing_period)"
)


def scan_periods(conn: duckdb.DuckDBPyConnection, group: FileGroup, latest: date) -> tuple[set[date], bool]:
    """The billing periods a group's rows belong to, and whether any row belongs to none (no charge
    date, a date that does not read, after next month) or is charged outside its own period.

    Only the date columns are read, with try_cast so that one bad date does not hide the periods of
    the other rows (discovery must know which periods such a file feeds, to fail them). Every other
    value is checked when a period is loaded; nothing read here is loaded.
    """
    normalized = normalize(group, try_mode=True)
    source, params = source_sql(group)
    text = (
        f"select row_billing_period, bool_or({ROW_IS_INVALID}) "  # noqa: S608 -- identifiers only
        f"from ({normalized.sql(source)}) group by 1"
    )
    rows = conn.execute(text, {**params, **normalized.params, "mlcost_latest": latest}).fetchall()
    periods = {p for p, _ in rows if p is not None and p <= latest}
    return periods, any(flag for _, flag in rows)


def locate(conn: duckdb.DuckDBPyConnection, group: FileGroup, latest: date) -> str | None:
    """The first value of a one-file group that fails the load, in one line naming the file, the line
    (Parquet: row and row group), the column and the value; None when every row reads.

    Runs after a load failed: one query over the file with the load's casts turned into predicates
    (`x is not null and try_cast(x) is null`) and the row checks, first offending row in file order.
    """
    label = _files_label(group)
    normalized = normalize(group, try_mode=True)
    source, params = source_sql(group, numbered=True)
    checks = normalized.checks
    extra = [f"{c.bad} as mlcost_bad_{i}, {c.value} as mlcost_value_{i}" for i, c in enumerate(checks)]
    extra += [f"cast({q(a)} as varchar) as mlcost_date_{i}" for i, a in enumerate(normalized.period_columns)]
    extra.append("mlcost_position")
    where = " or ".join([f"mlcost_bad_{i}" for i in range(len(checks))] + [f"({ROW_IS_INVALID})"])
    text = (
        f"select * from ({normalized.sql(source, ', '.join(extra) + ', ')}) "  # noqa: S608 -- identifiers only
        f"where {where} order by mlcost_position limit 1"
    )
    conn.execute("set preserve_insertion_order = true")  # file order, for line numbers
    try:
        cursor = conn.execute(text, {**params, **normalized.params, "mlcost_latest": latest})
        row = cursor.fetchone()
        found = dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None
    finally:
        conn.execute("set preserve_insertion_order = false")
    if found is None:
        return None
    at = f"{label} {_position(conn, group, found['mlcost_position'])}"
    for i, check in enumerate(checks):
        if found[f"mlcost_bad_{i}"]:
            return f"{at}, column {check.column}: {_show(found[f'mlcost_value_{i}'])} {check.problem}"
    headers = [group.original.get(a, a) for a in normalized.period_columns]
    dates = [found[f"mlcost_date_{i}"] for i in range(len(headers))]
    period = found["row_billing_period"]
    if period is None:
        return f"{at}: line item without a charge date ({' and '.join(headers) or 'no date column'} empty)"
    # The column that dated the row's billing period: the first non-empty one.
    column, value = next((h, d) for h, d in zip(headers, dates, strict=True) if d is not None)
    if period > latest:
        return (
            f"{at}, column {column}: {_show(value)} dates the line item in billing period {period:%Y-%m}, "
            f"after next month ({latest:%Y-%m})"
        )
    charge = group.original.get(normalized.charge_column, normalized.charge_column)
    charge_value = dates[normalized.period_columns.index(normalized.charge_column)]
    return (
        f"{at}, column {charge}: {_show(charge_value)} is outside the line item's billing period "
        f"{period:%Y-%m} ({column})"
    )


def _position(conn: duckdb.DuckDBPyConnection, group: FileGroup, position: int) -> str:
    if group.reader == "csv":
        return f"line {position}"
    sizes = conn.execute(
        "select row_group_id, max(row_group_num_rows) from parquet_metadata($file) group by 1 order by 1",
        {"file": str(group.paths[0])},
    ).fetchall()
    first = 0
    for row_group, rows in sizes:
        if position < first + rows:
            return f"row {position} (row group {row_group}; both counted from 0)"
        first += rows
    return f"row {position}"


def _show(value) -> str:
    if value is None:
        return "(empty)"
    text = str(value).replace("\n", " ")
    return '"' + (text if len(text) <= 80 else text[:77] + "...") + '"'
