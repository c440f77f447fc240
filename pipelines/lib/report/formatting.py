"""How the report writes numbers: money with its currency, shares with a % sign, unknowns as n/a."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

Number = Decimal | float | int


def money(amount: Number | None, currency: str | None = "USD", places: int = 2) -> str:
    """$1,234.56 for USD, EUR 1,234.56 for another currency, n/a for an unknown amount."""
    if amount is None:
        return "n/a"
    sign = "-" if amount < 0 else ""
    symbol = "$" if currency in ("USD", "", None) else f"{currency} "
    return f"{sign}{symbol}{abs(amount):,.{places}f}"


def share(fraction: Number | None, places: int = 0) -> str:
    """A fraction as a percentage: 0.1132 -> 11%, with `places` decimals; n/a when unknown."""
    if fraction is None:
        return "n/a"
    return f"{float(fraction) * 100:,.{places}f}%"


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
