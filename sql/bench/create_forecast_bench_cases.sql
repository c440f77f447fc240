-- The forecasts marts.budget_forecast_backtest replays (with at least 28 days of history, as
-- sql/forecast/select_forecast_backtest_summary.sql counts them), with what the SQL method knew as
-- of each day: benchmarks/forecast_methods.py forecasts the same cases' remaining daily usage with
-- statsforecast and adds it to the same cost known (usage to date and month-level charges expected).
-- $days_of_data: only these days of data (an empty list: every day).
create or replace temp table bench_cases as
select
    backtest.budget_name,
    backtest.billing_period,
    backtest.as_of_date,
    backtest.days_of_data,
    backtest.days_remaining,
    backtest.history_days,
    backtest.month_cost,
    backtest.forecast_cost,
    backtest.forecast_low,
    backtest.forecast_high,
    forecasts.usage_forecast_remaining_cost,
    concat_ws('|', backtest.budget_name, backtest.billing_period, backtest.as_of_date) as case_id,
    forecasts.usage_cost_to_date + forecasts.month_level_forecast_cost as known_cost
from marts.budget_forecast_backtest as backtest
inner join intermediate.int_budget_forecasts as forecasts
    on
        backtest.budget_name = forecasts.budget_name
        and backtest.billing_period = forecasts.billing_period
        and backtest.as_of_date = forecasts.as_of_date
where
    backtest.history_days >= 28
    and backtest.error_pct is not null
    and (
        len(cast($days_of_data as integer[])) = 0
        or list_contains(cast($days_of_data as integer[]), backtest.days_of_data)
    )
