-- The daily usage each benchmarked forecast may know (every day of the bill up to its as-of date, a
-- day without cost counting as zero), read as int_budget_forecasts reads it: the budget's currency,
-- month-level charges left out. regular_cost is the day's usage up to the median of the same weekday
-- over the last 4 weeks (the rest being sporadic jobs, as int_budget_forecasts splits it).
-- benchmarks/forecast_methods.py fits statsforecast's models on them.
with

budgets as (
    select * from staging.stg_budgets__budgets
),

periods as (
    select * from intermediate.int_billing_periods
),

daily_costs as (
    select * from intermediate.int_budget_costs__daily
),

usage_costs as (
    select
        daily_costs.budget_name,
        daily_costs.usage_date,
        sum(daily_costs.cost) as cost
    from daily_costs
    inner join budgets
        on
            daily_costs.budget_name = budgets.budget_name
            and daily_costs.billing_currency = budgets.billing_currency
    where not daily_costs.is_month_level_charge
    group by all
),

bill_days as (
    select
        cast(unnest(generate_series(
            cast(min(billing_period) as timestamp),
            cast(max(data_through_date) as timestamp),
            interval 1 day
        )) as date) as usage_date
    from periods
),

usage_daily as (
    select
        budgets.budget_name,
        bill_days.usage_date,
        coalesce(usage_costs.cost, 0) as cost
    from budgets
    cross join bill_days
    left join usage_costs
        on
            budgets.budget_name = usage_costs.budget_name
            and bill_days.usage_date = usage_costs.usage_date
),

weekday_medians as (
    select
        *,
        median(cost) over (
            partition by budget_name, dayofweek(usage_date)
            order by usage_date
            rows between 3 preceding and current row
        ) as weekday_median
    from usage_daily
)

select
    bench_cases.case_id,
    bench_cases.days_remaining,
    weekday_medians.usage_date,
    cast(weekday_medians.cost as double) as cost,
    cast(least(weekday_medians.cost, weekday_medians.weekday_median) as double) as regular_cost
from bench_cases
inner join weekday_medians
    on
        bench_cases.budget_name = weekday_medians.budget_name
        and bench_cases.as_of_date >= weekday_medians.usage_date
order by bench_cases.case_id, weekday_medians.usage_date
