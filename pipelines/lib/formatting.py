"""Numbers as people read them: money with its currency, percentages with their sign.

Used wherever mlcost shows figures to a person (the demo's summary, Markdown tables in Dagster's
metadata). Amounts are never rounded to zero: a cost below a cent keeps its first digits.
"""

from __future__ import annotations

import math
from decimal import Decimal

Number = int | float | Decimal


def money(amount: Number | None, currency: str | None = "USD") -> str:
    """$12,345.67, -$3.50, $0.00; below one unit four decimals ($0.0636), below a cent two significant
    digits ($0.000061); EUR 9.00 for other currencies; n/a when unknown."""
    if amount is None:
        return "n/a"
    symbol = "$" if currency in ("USD", "", None) else f"{currency} "
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    if size == 0 or size >= 1:
        return f"{sign}{symbol}{size:,.2f}"
    # Unit costs: four decimals, or two significant digits below a cent ($0.0030, $0.000061).
    decimals = max(4, 1 - math.floor(math.log10(size)))
    return f"{sign}{symbol}{size:.{decimals}f}"


def percent(value: Number | None) -> str:
    """111.2%, 30.8%, 0.11%, 0%; n/a when unknown. The value is already in percent (30.8, not 0.308)."""
    if value is None:
        return "n/a"
    if value == 0:
        return "0%"
    if abs(value) >= 1:
        return f"{value:,.1f}%"
    return f"{float(value):.2g}%"


def share(fraction: Number | None, places: int = 0) -> str:
    """A fraction as a percentage: 0.1132 -> 11%, with `places` decimals (0.11%); n/a when unknown."""
    if fraction is None:
        return "n/a"
    return f"{float(fraction) * 100:,.{places}f}%"


def count(value: int | None) -> str:
    """12,345; n/a when unknown."""
    return "n/a" if value is None else f"{value:,}"
