-- Every benchmarked method's month-end forecast of every case, to be measured alike. Starts with the
-- SQL method's, straight from marts.budget_forecast_backtest (through bench_cases);
-- benchmarks/forecast_methods.py adds statsforecast's (insert_forecast_bench_model).
create or replace temp table bench_forecasts as
select
    $method as method,
    case_id,
    budget_name,
    billing_period,
    days_of_data,
    cast(month_cost as double) as month_cost,
    cast(forecast_cost as double) as forecast_cost,
    cast(forecast_low as double) as forecast_low,
    cast(forecast_high as double) as forecast_high,
    -- The per-day intervals summed (statsforecast only).
    cast(null as double) as steps_low,
    cast(null as double) as steps_high
from bench_cases
