-- Each benchmarked method's worst month-end error per budget from day 4 and from day 8 of the month
-- (the issue's targets: 25% and 12%) and its interval coverage per budget.
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
    budget_name,
    round(max(abs_error_pct) filter (where days_of_data >= 4), 1) as worst_from_day_4_pct,
    round(max(abs_error_pct) filter (where days_of_data >= 8), 1) as worst_from_day_8_pct,
    round(100 * avg(cast(is_covered as integer)), 0) as coverage_pct
from errors
group by all
order by method, worst_from_day_4_pct
