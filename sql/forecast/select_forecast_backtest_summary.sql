-- How good the month-end forecast has been: marts.budget_forecast_backtest summed up by days of
-- the month known, over the forecasts with at least four weeks of history behind them (a bill's
-- first month has none). Shown as metadata on the Dagster asset and quoted in docs/forecasting.md.
select
    case
        when days_of_data = 0 then '0'
        when days_of_data <= 3 then '1-3'
        when days_of_data <= 7 then '4-7'
        when days_of_data <= 14 then '8-14'
        else '15+'
    end as days_of_data,
    min(days_of_data) as first_day,
    count(*) as forecasts,
    round(median(abs(error_pct)), 1) as median_abs_error_pct,
    round(quantile_cont(abs(error_pct), 0.9), 1) as p90_abs_error_pct,
    round(max(abs(error_pct)), 1) as max_abs_error_pct,
    round(100 * avg(cast(is_covered as integer)), 1) as coverage_pct
from marts.budget_forecast_backtest
where history_days >= 28 and error_pct is not null
group by all
order by first_day
