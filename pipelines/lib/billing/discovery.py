"""Finding billing deliveries under CUR_EXPORT_URI and deciding what is current for each period.

Manifests decide: for each report and billing period only the latest assembly (legacy CUR) or
execution (CUR 2.0 / FOCUS Data Exports) counts, and superseded files beside it are ignored. Data files
that no manifest governs ("loose" files) are assigned to periods by their own billing-period column.
Discovery never opens the warehouse, so it runs while a refresh holds the DuckDB write lock.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath

import duckdb

from pipelines.lib.billing import BillingInputError, ExportLocationError
from pipelines.lib.billing.normalize import (
    file_group,
    latest_period,
    locate,
    prepare_connection,
    reader_for,
    scan_periods,
    short_error,
)
from pipelines.lib.billing.store import ExportStore, StoredFile, WorkDir

LEGACY_PERIOD_DIR = re.compile(r"^(\d{4})(\d{2})\d{2}-\d{8}$")
DATA_EXPORT_PERIOD_DIR = re.compile(r"^BILLING_PERIOD=(\d{4})-(\d{2})$", re.IGNORECASE)
EXPORT_ROOT_END = re.compile(r"^(metadata|data|BILLING_PERIOD=.*|\d{8}-\d{8})$", re.IGNORECASE)
LAYOUTS = (
    "legacy CUR (<report>/<yyyymmdd-yyyymmdd>/[<assemblyId>/]<report>-Manifest.json beside .csv.gz, .csv.zip "
    "or .parquet files), CUR 2.0 and FOCUS Data Exports (<export>/metadata/BILLING_PERIOD=YYYY-MM/"
    "<export>-Manifest.json and <export>/data/BILLING_PERIOD=YYYY-MM/ .parquet or .csv.gz files) and loose "
    ".csv, .csv.gz, .csv.zip or .parquet files, at any depth"
)
NAME_PERIOD = re.compile(r"(?<!\d)(20\d{2})-?(0[1-9]|1[0-2])(?:-?01)?(?!\d)")


@dataclass(frozen=True)
class Delivery:
    """The files of one report that make up its current delivery for one billing period."""

    report: str
    export_version: str | None
    manifest: str | None
    files: tuple[StoredFile, ...]
    loose: bool = False
    error: str | None = None  # a problem found while discovering; loading the period reports it


@dataclass
class Period:
    billing_period: date
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def partition_key(self) -> str:
        return self.billing_period.isoformat()

    @property
    def export_version(self) -> str:
        versions = sorted({d.export_version for d in self.deliveries if d.export_version})
        return ",".join(versions) if versions else "loose"

    @property
    def files(self) -> list[StoredFile]:
        return [f for d in self.deliveries for f in d.files]

    @property
    def fingerprint(self) -> str:
        """Changes whenever AWS delivers anything new for the period (new version, rewritten file)."""
        digest = hashlib.sha256()
        for d in sorted(self.deliveries, key=lambda d: (d.report, d.manifest or "")):
            digest.update(f"{d.report}|{d.export_version}|{d.manifest}|{d.error}\n".encode())
            for f in sorted(d.files, key=lambda f: f.path):
                digest.update(f"{f.path}|{f.size}|{f.version}\n".encode())
        return digest.hexdigest()[:32]


@dataclass
class Discovery:
    uri: str
    periods: dict[date, Period]
    problems: list[str]  # files that could not be tied to any period

    def period(self, key: str) -> Period:
        wanted = date.fromisoformat(key)
        if wanted not in self.periods:
            raise BillingInputError(f"no billing export for period {key} under {self.uri}")
        return self.periods[wanted]


def first_of_month(value: str) -> date | None:
    """Manifest dates: `20180801T000000.000Z`, `2024-09-01T00:00:00Z`, `2024-09-01`."""
    value = value.strip()
    for fmt, width in (("%Y%m%d", 8), ("%Y-%m-%d", 10)):
        try:
            parsed = datetime.strptime(value[:width], fmt)
            return date(parsed.year, parsed.month, 1)
        except ValueError:
            continue
    return None


def period_from_path(path: str) -> date | None:
    for part in reversed(PurePosixPath(path).parts[:-1]):
        if m := LEGACY_PERIOD_DIR.match(part) or DATA_EXPORT_PERIOD_DIR.match(part):
            return date(int(m.group(1)), int(m.group(2)), 1)
    return None


def is_manifest(path: str) -> bool:
    return path.lower().endswith("manifest.json")


def export_root(path: str) -> str:
    """`a/report/20180801-20180901/x/y-Manifest.json` -> `a/report`: where one export's files live."""
    parts = PurePosixPath(path).parts[:-1]
    for i, part in enumerate(parts):
        if EXPORT_ROOT_END.match(part):
            return "/".join(parts[:i])
    return "/".join(parts)


def is_period_level(path: str) -> bool:
    """The manifest directly in the period folder is the one AWS rewrites to name the latest delivery."""
    parent = PurePosixPath(path).parent.name
    return bool(LEGACY_PERIOD_DIR.match(parent) or DATA_EXPORT_PERIOD_DIR.match(parent))


def resolve_key(key: str, paths_by_name: dict[str, list[str]], near: str) -> str | None:
    """The store file a manifest key (`s3://bucket/prefix/...`, `/report/...`, `prefix/report/...`) names.

    The store root may be the bucket, a prefix inside it, or a local folder above or below a mirror
    of either, so the file whose path shares the longest tail with the key wins (at least the period
    folder and file name when the key has them); ties go to the file under the manifest's own export.
    """
    parts = re.sub(r"^s3://[^/]+/", "", key.strip()).strip("/").split("/")
    needed = min(len(parts), 2)
    best, best_rank = None, (0, False)
    for path in paths_by_name.get(parts[-1], []):
        path_parts = path.split("/")
        shared = 0
        while shared < min(len(parts), len(path_parts)) and parts[-1 - shared] == path_parts[-1 - shared]:
            shared += 1
        rank = (shared, path.startswith(near + "/") if near else True)
        if shared >= needed and rank > best_rank:
            best, best_rank = path, rank
    return best


@dataclass
class _Manifest:
    path: str
    file: StoredFile
    report: str
    period: date
    version: str | None
    keys: list[str]


def _parse_manifest(store: ExportStore, file: StoredFile) -> _Manifest:
    label = store.display(file.path)
    try:
        doc = json.loads(store.read_bytes(file.path))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BillingInputError(f"{label}: manifest is not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise BillingInputError(f"{label}: manifest is not a JSON object")
    period = None
    billing_period = doc.get("billingPeriod")
    if isinstance(billing_period, dict) and billing_period.get("start"):
        period = first_of_month(str(billing_period["start"]))
    period = period or period_from_path(file.path)
    if period is None:
        raise BillingInputError(f"{label}: manifest has no billingPeriod and its path names no period")
    keys = doc.get("reportKeys") or doc.get("dataFiles") or []
    if not isinstance(keys, list) or not keys:
        raise BillingInputError(f"{label}: manifest lists no data files (reportKeys/dataFiles)")
    report = str(doc.get("reportName") or doc.get("exportName") or export_root(file.path) or "export")
    version = doc.get("executionId") or doc.get("assemblyId")  # CUR 2.0 manifests carry both
    return _Manifest(
        file.path, file, report, period, str(version) if version else None, [str(k) for k in keys]
    )


def discover(store: ExportStore, now: datetime | None = None) -> Discovery:
    """Every billing period under the store and its current delivery; `problems` lists what cannot
    be tied to a period. A billing period after next month (relative to `now`) is never created."""
    latest = latest_period(now)
    files = store.list()
    by_path = {f.path: f for f in files}
    data_paths = {f.path for f in files if reader_for(f.path)}
    if not data_paths and not any(is_manifest(f.path) for f in files):
        others = f" ({len(files)} other file(s))" if files else ""
        raise ExportLocationError(
            f"CUR_EXPORT_URI={store.uri}: no billing export found{others}; looked for {LAYOUTS}. "
            "Point CUR_EXPORT_URI at the folder or s3://bucket/prefix AWS delivers the export to"
        )
    paths_by_name: dict[str, list[str]] = {}
    for path in sorted(data_paths):
        paths_by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    problems: list[str] = []
    periods: dict[date, Period] = {}

    manifests: list[_Manifest] = []
    governed_roots: set[str] = set()
    for f in files:
        if not is_manifest(f.path):
            continue
        governed_roots.add(export_root(f.path))
        try:
            manifests.append(_parse_manifest(store, f))
        except BillingInputError as exc:
            period = period_from_path(f.path)
            if period is None or period > latest:
                problems.append(str(exc))
            else:
                _add(periods, period, Delivery(export_root(f.path), None, f.path, (), error=str(exc)))

    # One current manifest per (export root, report, period): the period-level one, else the newest.
    chosen: dict[tuple[str, str, date], _Manifest] = {}
    for m in manifests:
        key = (export_root(m.path), m.report, m.period)
        best = chosen.get(key)
        rank = (is_period_level(m.path), m.file.modified, m.path)
        if best is None or rank > (is_period_level(best.path), best.file.modified, best.path):
            chosen[key] = m
    for m in chosen.values():
        if m.period > latest:
            problems.append(_after_next_month(store.display(m.path), m.period, latest))
            continue
        resolved, missing = [], []
        for k in m.keys:
            path = resolve_key(k, paths_by_name, export_root(m.path))
            (resolved.append(by_path[path]) if path else missing.append(k))
        error = None
        if missing:
            error = f"{store.display(m.path)}: manifest names {missing[0]}, which is not under {store.uri}"
            if len(missing) > 1:
                error += f" (and {len(missing) - 1} more missing files)"
        _add(periods, m.period, Delivery(m.report, m.version, m.path, tuple(resolved), error=error))

    def governed(path: str) -> bool:
        return any(root == "" or path == root or path.startswith(root + "/") for root in governed_roots)

    loose = [f for f in files if f.path in data_paths and not governed(f.path)]
    # Data files inside an export whose period has no manifest at all (a deleted or not yet written
    # manifest): which execution is current is unknown, so the period is reported, never guessed.
    manifest_periods = {(export_root(m.path), m.period) for m in manifests}
    orphans: dict[tuple[str, date], list[str]] = {}
    for f in files:
        if f.path in data_paths and governed(f.path):
            root = next(r for r in governed_roots if r == "" or f.path.startswith(r + "/"))
            period = period_from_path(f.path)
            if period is not None and (root, period) not in manifest_periods:
                orphans.setdefault((root, period), []).append(f.path)
    for (root, period), paths in sorted(orphans.items()):
        problems.append(
            f"{store.display(root or '.')}: {len(paths)} data file(s) for billing period {period:%Y-%m} "
            f"(e.g. {paths[0]}) but no manifest for that period, so which delivery is current is unknown"
        )
    if loose:
        _assign_loose(store, loose, periods, problems, latest)
    return Discovery(uri=store.uri, periods=dict(sorted(periods.items())), problems=problems)


def _add(periods: dict[date, Period], period: date, delivery: Delivery) -> None:
    periods.setdefault(period, Period(period)).deliveries.append(delivery)


def _after_next_month(where: str, period: date, latest: date) -> str:
    return (
        f"{where}: billing period {period:%Y-%m} is after next month ({latest:%Y-%m}), a wrong date in "
        "the export? It is not loaded"
    )


def _assign_loose(
    store: ExportStore,
    loose: list[StoredFile],
    periods: dict[date, Period],
    problems: list[str],
    latest: date,
) -> None:
    """Loose files join every period their rows belong to (read with an in-memory DuckDB).

    A loose file with a row that belongs to no period (no charge date, a date that does not read or
    is after next month) fails every period it feeds, naming the row; with no period at all it is a
    problem. None of its rows is silently left out. Only dates are read here (the sensor discovers
    every few minutes); every other value, and the file's completeness, is checked by the load.
    """
    found: dict[date, list[StoredFile]] = {}
    conn = duckdb.connect()
    prepare_connection(conn)
    with WorkDir() as workdir:
        for f in loose:
            label = store.display(f.path)
            message, file_periods, group = None, set(), None
            try:
                group = file_group(conn, store, f.path, workdir, verify=False)
                file_periods, has_bad_rows = scan_periods(conn, group, latest)
                if has_bad_rows:
                    message = locate(conn, group, latest) or f"{label}: a line item cannot be loaded"
                elif not file_periods:
                    message = f"{label}: has a header but no line items"
            except BillingInputError as exc:
                message = str(exc)
            except duckdb.Error as exc:
                message = _located(conn, group, latest) or f"{label}: cannot be read ({short_error(exc)})"
            if message is None:
                for period in file_periods:
                    found.setdefault(period, []).append(f)
                continue
            period = period_from_path(f.path) or _period_from_name(f.path)
            targets = file_periods or ({period} if period and period <= latest else set())
            if not targets:
                problems.append(message)
            for target in sorted(targets):
                _add(periods, target, Delivery("loose", None, None, (f,), loose=True, error=message))
    conn.close()
    for period, period_files in found.items():
        _add(periods, period, Delivery("loose", None, None, tuple(period_files), loose=True))


def _located(conn, group, latest: date) -> str | None:
    """The first value of a file that does not read, named; None if it cannot be found."""
    if group is None:
        return None
    try:
        return locate(conn, group, latest)
    except duckdb.Error:
        return None


def _period_from_name(path: str) -> date | None:
    m = NAME_PERIOD.search(PurePosixPath(path).name)
    return date(int(m.group(1)), int(m.group(2)), 1) if m else None
