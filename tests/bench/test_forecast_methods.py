"""benchmarks/forecast_methods.py compares like for like: a model's month-end forecast is the SQL
method's cost known as of the day plus the model's remaining usage, and its interval is that of the
remaining days' sum. On tiny synthetic data, no demo build (`make bench-forecast` runs the real one)."""

from __future__ import annotations

import duckdb
import pytest

# statsforecast and numpy are the benchmark extra (requirements-bench.lock): `make bench-forecast`
# installs them and runs these tests first; `make test`, which does not install them, skips them.
np = pytest.importorskip("numpy", reason="benchmark extra: make bench-forecast installs and runs these")
pytest.importorskip("statsforecast", reason="benchmark extra: make bench-forecast installs and runs these")

from benchmarks import forecast_methods as bench  # noqa: E402
from pipelines.lib import sql  # noqa: E402


def test_remaining_usage_sums_the_weekly_pattern_with_an_interval_of_the_sum():
    from statsforecast.models import AutoETS

    week = np.array([100.0, 110, 105, 120, 115, 40, 30])
    noise = np.random.default_rng(7).normal(0, 3, 8 * 7)
    history = np.tile(week, 8) + noise
    # The 10 days after 8 whole weeks: Monday to Sunday, then Monday to Wednesday.
    expected = week.sum() + week[:3].sum()

    got = bench.remaining_usage(AutoETS(season_length=7), history, horizon=10, paths=300)

    assert got["remaining"] == pytest.approx(expected, rel=0.03)
    assert got["remaining_low"] < got["remaining"] < got["remaining_high"]
    assert got["remaining_low"] < expected < got["remaining_high"]
    # The per-day intervals summed assume every day misses the same way: wider than the sum's.
    assert got["steps_high"] - got["steps_low"] > got["remaining_high"] - got["remaining_low"]


def test_sporadic_jobs_count_at_their_rate_and_widen_the_interval():
    from statsforecast.models import AutoETS

    regular = np.tile([100.0, 110, 105, 120, 115, 40, 30], 8)
    excess = np.zeros(56)
    excess[[10, 40]] = 700.0  # two training runs in eight weeks: 25 a day

    plain = bench.remaining_usage(AutoETS(season_length=7), regular, horizon=14, paths=300)
    jobs = bench.remaining_usage(AutoETS(season_length=7), regular, horizon=14, paths=300, excess=excess)

    assert jobs["remaining"] == pytest.approx(plain["remaining"] + 14 * 25.0)
    # At least one job in the next 14 days: 40% likely. The high end holds one, the low end none.
    assert jobs["remaining_high"] >= plain["remaining_high"] + 700 - 1
    assert jobs["remaining_low"] == pytest.approx(plain["remaining_low"], rel=0.01)


def test_methods_are_measured_on_the_same_cases_and_known_cost():
    conn = duckdb.connect()
    # Two budgets' months of 1,000: what the SQL method forecast, and the cost known as of the day.
    conn.execute(
        """
        create temp table bench_cases as
        select * from (values
            ('a|2026-10-01|2026-10-04', 'a', date '2026-10-01', 4, 1000.0, 1100.0, 1050.0, 1150.0, 400.0),
            ('b|2026-10-01|2026-10-09', 'b', date '2026-10-01', 9, 1000.0, 980.0, 900.0, 1060.0, 500.0)
        ) as t(case_id, budget_name, billing_period, days_of_data, month_cost, forecast_cost,
               forecast_low, forecast_high, known_cost)
        """
    )
    model = [
        {"case_id": "a|2026-10-01|2026-10-04", "remaining": 650.0, "remaining_low": 500.0,
         "remaining_high": 700.0, "steps_low": 300.0, "steps_high": 900.0},
        {"case_id": "b|2026-10-01|2026-10-09", "remaining": 450.0, "remaining_low": 420.0,
         "remaining_high": 480.0, "steps_low": 300.0, "steps_high": 600.0},
    ]  # fmt: skip

    bench.add_forecasts(conn, {"Model": model})

    errors = conn.execute(sql.load("bench/select_forecast_bench_errors")).fetchall()
    # method, days bucket, first day, forecasts, median/p90/max abs error %, coverage %
    assert errors == [
        ("Model", "4-7", 4, 1, 5.0, 5.0, 5.0, 100.0),  # 400 + 650 = 1,050 in 900..1,100
        ("Model", "8-14", 9, 1, 5.0, 5.0, 5.0, 0.0),  # 500 + 450 = 950, not in 920..980
        (bench.SQL_METHOD, "4-7", 4, 1, 10.0, 10.0, 10.0, 0.0),
        (bench.SQL_METHOD, "8-14", 9, 1, 2.0, 2.0, 2.0, 100.0),
    ]
    worst = conn.execute(sql.load("bench/select_forecast_bench_budgets")).fetchall()
    assert ("Model", "a", 5.0, None, 100.0) in worst
    assert (bench.SQL_METHOD, "b", 2.0, 2.0, 100.0) in worst
    overall = {
        row[0]: row for row in conn.execute(sql.load("bench/select_forecast_bench_overall")).fetchall()
    }
    assert overall["Model"][5] == 50.0 and overall["Model"][7] == 100.0  # the per-day sums cover both
    assert overall[bench.SQL_METHOD][7] is None
