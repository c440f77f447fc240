-- Each benchmarked method's absolute month-end error by days of the month known and the coverage of
-- its 80% interval, bucketed as sql/forecast/select_forecast_backtest_summary.sql buckets the
-- SQL method's backtest (benchmarks/forecast_methods.py prints it; docs/forecasting.md quotes it).
with

errors as (
    select
        *,
        abs(round(100 * (forecast_cost - month_cost) / abs(month_cost), 2)) as abs_error_pct,
        month_cost between forecast_low and forecast_high as is_covered
    from bench_forecasts
    where month_cost <> 0
)

select
    method,
    case
        when days_of_data = 0 then '0'
        when days_of_data <= 3 then '1-3'
        when days_of_data <= 7 then '4-7'
        when days_of_data <= 14 then '8-14'
        else '15+'
    end as days_of_data,
    min(days_of_data) as first_day,
    count(*) as forecasts,
    round(median(abs_error_pct), 1) as median_abs_error_pct,
    round(quantile_cont(abs_error_pct, 0.9), 1) as p90_abs_error_pct,
    round(max(abs_error_pct), 1) as max_abs_error_pct,
    round(100 * avg(cast(is_covered as integer)), 1) as coverage_pct
from errors
group by all
order by method, first_day
