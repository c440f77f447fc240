-- Would each benchmarked method have sent a forecast alert for a month that ended below the
-- threshold? budget_alerts' rule (from day 5 of data, the interval's low end reaching the threshold)
-- and the point alone, replayed on every budget-month replayed whole, with a threshold placed
-- relative to what the month really cost (docs/forecasting.md: "No forecast alert ...").
with

offsets as (
    select unnest([-10, -5, 2, 5, 10]) as offset_pct
),

months as (
    select
        method,
        budget_name,
        billing_period,
        any_value(month_cost) as month_cost,
        max(forecast_low) filter (where days_of_data >= 5) as highest_low,
        max(forecast_cost) filter (where days_of_data >= 5) as highest_point
    from bench_forecasts
    group by all
    -- Replayed from the day before the month: all of its days had four weeks of history.
    having min(days_of_data) = 0
)

select
    months.method,
    offsets.offset_pct as threshold_vs_month_cost_pct,
    count(*) as months,
    count(*) filter (where months.highest_low >= months.month_cost * (1 + offsets.offset_pct / 100))
        as alerted_by_low_end,
    count(*) filter (where months.highest_point >= months.month_cost * (1 + offsets.offset_pct / 100))
        as alerted_by_point
from months
cross join offsets
group by all
order by months.method, offsets.offset_pct
