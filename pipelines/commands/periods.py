"""`mlcost periods`: list the billing periods the warehouse holds; `mlcost periods drop` removes some.

The list comes from the warehouse's own load records (raw.billing_loads) and line items, read
read-only: one row per period and currency (currencies are never added together), with where the
period was loaded from, its format and export version, line items, billed and effective totals
(split cost allocation rows left out, as in every mart) and when it was loaded.

`drop` deletes periods' line items and load records in one transaction, for example after switching
CUR_EXPORT_URI to another source. It runs as the Dagster job `drop_billing_periods` in pool
"duckdb", so it waits for a running load or build instead of writing beside it. A dropped period
stays dropped unless the source under CUR_EXPORT_URI still delivers it: then the next refresh (or
the billing_export_sensor) loads it again. The marts show the drop after the next build.
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from decimal import Decimal

from pipelines.lib import settings
from pipelines.lib.billing.loads import LoadedPeriod, loaded_periods
from pipelines.lib.warehouse import WarehouseUnavailable, open_read_only

PERIOD = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")
COLUMNS = (
    "period",
    "currency",
    "line_items",
    "billed_cost",
    "effective_cost",
    "format",
    "export_version",
    "loaded_at",
    "source",
)


def _error(message: str) -> Exception:
    from pipelines.commands import CommandError

    return CommandError(message)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "periods",
        help="list the billing periods in the warehouse; `periods drop YYYY-MM ... --yes` removes some",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=list_command)
    commands = parser.add_subparsers(dest="periods_command")
    drop = commands.add_parser(
        "drop",
        help="remove billing periods (line items and load records) from the warehouse",
        description="Removes billing periods from the warehouse in one transaction. Without --yes it only "
        "shows what would be dropped. A period the source under CUR_EXPORT_URI still delivers is "
        "loaded again by the next refresh; the marts show the drop after the next build.",
    )
    drop.add_argument("periods", nargs="+", metavar="YYYY-MM", help="billing periods to drop, e.g. 2024-09")
    drop.add_argument("--yes", action="store_true", help="drop them (without it nothing changes)")
    drop.set_defaults(func=drop_command)


def parse_period(text: str) -> date:
    match = PERIOD.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise _error(f"not a billing period: {text!r} (give YYYY-MM, e.g. 2024-09)")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _read_loaded() -> list[LoadedPeriod]:
    """The warehouse's loaded periods, opened read-only for one query, or a one-line error."""
    path = settings.warehouse_path()
    try:
        conn = open_read_only(path)
    except WarehouseUnavailable as exc:
        if exc.missing:
            raise _error(
                f"no warehouse at {path} yet: run `mlcost refresh` first (or set WAREHOUSE_PATH)"
            ) from None
        if exc.locked:
            raise _error(
                f"{path} is being written by another process (a refresh or pipeline run); "
                "try again when it has finished"
            ) from None
        raise _error(str(exc)) from None
    try:
        return loaded_periods(conn)
    finally:
        conn.close()


def _source(files: tuple[str, ...]) -> str:
    """One file as it is; several as their common folder and how many there are."""
    if len(files) <= 1:
        return files[0] if files else ""
    parts = [f.split("/") for f in files]
    common: list[str] = []
    for pieces in zip(*(p[:-1] for p in parts), strict=False):
        if len(set(pieces)) != 1:
            break
        common.append(pieces[0])
    return f"{'/'.join(common) or '.'}/ ({len(files)} files)"


def _money(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _cells(period: LoadedPeriod) -> list[str]:
    return [
        period.billing_period.strftime("%Y-%m"),
        period.currency or "",
        str(period.line_items),
        _money(period.billed_cost),
        _money(period.effective_cost),
        period.source_format or "(no load record)",
        period.export_version or "",
        period.loaded_at.isoformat(sep=" ", timespec="seconds") if period.loaded_at else "",
        _source(period.source_files),
    ]


def print_periods(periods: list[LoadedPeriod]) -> None:
    rows = [_cells(p) for p in periods]
    # Money lines up on the decimal point: as many places as the longest value in its column needs.
    for i in (3, 4):
        places = max((len(r[i].partition(".")[2]) for r in rows), default=0)
        for r in rows:
            if r[i]:
                whole, _, fraction = r[i].partition(".")
                r[i] = f"{whole}.{fraction.ljust(places, '0')}" if places else whole
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(COLUMNS)]
    numeric = {2, 3, 4}
    print(" | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip())
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        cells = [
            v.rjust(w) if i in numeric else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))
        ]
        print(" | ".join(cells).rstrip())


def list_command(args: argparse.Namespace) -> int:
    periods = _read_loaded()
    path = settings.warehouse_path()
    if not periods:
        print(f"no billing periods loaded in {path}")
        return 0
    print_periods(periods)
    print(f"{len({p.billing_period for p in periods})} billing period(s) in {path}")
    return 0


def _still_delivered(wanted: list[date]) -> tuple[list[date], str]:
    """Which of `wanted` the source under CUR_EXPORT_URI delivers, and a sentence about the rest."""
    uri = settings.get("CUR_EXPORT_URI")
    if not uri:
        return [], "CUR_EXPORT_URI is not set, so nothing loads them again."
    import dagster as dg

    from pipelines.defs.resources import source_resources
    from pipelines.lib import aws
    from pipelines.lib.billing import BillingInputError
    from pipelines.lib.billing.discovery import discover

    try:
        with dg.build_resources(source_resources()) as sources:
            discovery = discover(sources.billing_export.store())
    except BillingInputError as exc:
        return (
            [],
            f"could not check CUR_EXPORT_URI ({exc}): a period it still delivers is loaded again by the next refresh.",
        )
    except Exception as exc:  # noqa: BLE001 - only advice depends on it; the drop itself does not
        return [], (
            f"could not check CUR_EXPORT_URI ({aws.describe_error(exc)}): a period it still delivers is "
            "loaded again by the next refresh."
        )
    delivered = [d for d in wanted if d in discovery.periods]
    rest = [d for d in wanted if d not in discovery.periods]
    note = f"{_months(rest)} not delivered under {discovery.uri}: stays dropped." if rest else ""
    return delivered, note


def _months(days: list[date]) -> str:
    return ", ".join(d.strftime("%Y-%m") for d in days)


def drop_command(args: argparse.Namespace) -> int:
    wanted = sorted({parse_period(p) for p in args.periods})
    loaded = _read_loaded()
    held = {p.billing_period for p in loaded}
    missing = [d for d in wanted if d not in held]
    if missing:
        raise _error(
            f"not loaded: {_months(missing)} (loaded: {_months(sorted(held)) or 'none'}); nothing dropped"
        )
    print_periods([p for p in loaded if p.billing_period in set(wanted)])
    delivered, note = _still_delivered(wanted)
    if not args.yes:
        print(f"would drop {_months(wanted)}; nothing dropped: run again with --yes to drop them")
        if delivered:
            print(
                f"{_months(delivered)} still delivered under CUR_EXPORT_URI: the next refresh would load it again."
            )
        return 1

    print(f"dropping {_months(wanted)} (waits for any running load or build: one writer at a time) ...")
    from pipelines.defs.refresh import drop_billing_periods

    report = drop_billing_periods([d.isoformat() for d in wanted])
    for line in report.lines:
        print(line)
    if report.failures:
        still = {p.billing_period for p in _read_loaded()} & set(wanted)
        print(
            f"mlcost periods drop: failed; still loaded: {_months(sorted(still)) or 'none'} "
            "(the run's log in the Dagster UI has the details)"
        )
        return 1
    print(f"dropped {_months(wanted)}.")
    print(
        "The marts and the published copy still include them until the next build: `mlcost refresh` rebuilds them "
        "(under `make dev`, build_after_ingest does)."
    )
    if delivered:
        print(
            f"{_months(delivered)} still delivered under {settings.get('CUR_EXPORT_URI')}: the next `mlcost refresh` "
            "(or the billing_export_sensor) loads it again. Point CUR_EXPORT_URI at a source without it to keep it dropped."
        )
    if note:
        print(note)
    return 0
