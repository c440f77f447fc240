-- Each benchmarked method in one line: forecasts, median absolute error, the share of forecasts
-- within the issue's targets (25% from day 4, 12% from day 8), the 80% interval's coverage and mean
-- width (% of the month's cost), and for statsforecast the coverage of its per-day intervals summed.
with

errors as (
    select
        *,
        abs(round(100 * (forecast_cost - month_cost) / abs(month_cost), 2)) as abs_error_pct,
        month_cost between forecast_low and forecast_high as is_covered,
        month_cost between steps_low and steps_high as is_covered_by_steps,
        100 * (forecast_high - forecast_low) / abs(month_cost) as width_pct
    from bench_forecasts
    where month_cost <> 0
)

select
    method,
    count(*) as forecasts,
    round(median(abs_error_pct), 1) as median_abs_error_pct,
    round(100 * avg(cast(abs_error_pct <= 25 as integer)) filter (where days_of_data >= 4), 1)
        as within_25_pct_from_day_4,
    round(100 * avg(cast(abs_error_pct <= 12 as integer)) filter (where days_of_data >= 8), 1)
        as within_12_pct_from_day_8,
    round(100 * avg(cast(is_covered as integer)), 1) as coverage_pct,
    round(median(width_pct), 1) as median_width_pct,
    round(100 * avg(cast(is_covered_by_steps as integer)), 1) as steps_coverage_pct
from errors
group by all
order by method
