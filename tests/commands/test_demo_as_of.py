"""`mlcost demo` picks an as-of date inside an open month with at least ten days of data."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.commands.demo import default_as_of


@pytest.mark.parametrize(
    ("today", "as_of"),
    [
        (dt.date(2026, 12, 1), dt.date(2026, 11, 15)),  # the 1st: last month, mid-way
        (dt.date(2026, 12, 11), dt.date(2026, 11, 15)),
        (dt.date(2026, 12, 12), dt.date(2026, 12, 12)),  # from the 12th: today
        (dt.date(2026, 3, 31), dt.date(2026, 3, 31)),
        (dt.date(2027, 1, 5), dt.date(2026, 12, 15)),  # across a year
    ],
)
def test_default_as_of_leaves_at_least_ten_days_of_the_open_month(today, as_of):
    assert default_as_of(today) == as_of
    assert as_of.day >= 12 and as_of <= today
