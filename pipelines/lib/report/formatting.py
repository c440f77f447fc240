"""How the report writes days and chart axes; money and shares come from pipelines.lib.formatting."""

from __future__ import annotations

import datetime as dt


def day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def d3_money_format(currency: str | None, places: int = 2, trim: bool = False) -> str:
    """The Vega-Lite (d3-format) format of an amount: a $ sign for USD; other currencies carry their
    code in the axis title instead. `trim` drops trailing zeros (axis labels: $0.5, $2,000)."""
    spec = f",.{places}{'~' if trim else ''}f"
    return f"${spec}" if currency in ("USD", "", None) else spec
