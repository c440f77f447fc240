-- The daily usage each benchmarked forecast may know (every day of the bill up to its as-of date, a
-- day without cost counting as zero), read as int_budget_forecasts reads it: the budget's currency,
-- month-level charges left out. benchmarks/forecast_methods.py fits statsforecast's models on it.
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
)

select
    bench_cases.case_id,
    bench_cases.days_remaining,
    bill_days.usage_date,
    cast(coalesce(usage_costs.cost, 0) as double) as cost
from bench_cases
inner join bill_days
    on bench_cases.as_of_date >= bill_days.usage_date
left join usage_costs
    on
        bench_cases.budget_name = usage_costs.budget_name
        and bill_days.usage_date = usage_costs.usage_date
order by bench_cases.case_id, bill_days.usage_date
