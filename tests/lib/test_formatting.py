"""Money and percentages as the demo's summary and the Dagster metadata tables show them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipelines.lib.formatting import count, money, percent


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("12345.678"), "USD", "$12,345.68"),
        (0, "USD", "$0.00"),  # not 0.0000
        (Decimal("0.0000"), "USD", "$0.00"),
        (Decimal("-3.5"), "USD", "-$3.50"),
        (Decimal("0.0636"), "USD", "$0.0636"),  # a unit cost keeps its digits
        (0.003, "USD", "$0.0030"),
        (0.000061, "USD", "$0.000061"),  # below a cent: never rounded to zero
        (Decimal("9"), "EUR", "EUR 9.00"),
        (None, "USD", "n/a"),
    ],
)
def test_money_has_its_currency_and_keeps_small_amounts(amount, currency, text):
    assert money(amount, currency) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1132, "0.11%"), (0, "0%"), (111.17, "111.2%"), (Decimal("30.8"), "30.8%"), (None, "n/a")],
)
def test_percent_has_its_sign_and_keeps_small_shares(value, text):
    assert percent(value) == text


def test_count_groups_thousands():
    assert count(11590577) == "11,590,577"
