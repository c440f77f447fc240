-- The month-end forecast replayed as of each day of each closed billing period, for every budget,
-- against what the month really cost: one row per budget, closed period and as-of date. The error
-- by day of month and the interval's coverage are how docs/forecasting.md measures the forecast
-- (the Dagster asset of this model shows them as metadata). Only cost in the budget's currency.

with

forecasts as (
    select * from {{ ref('int_budget_forecasts') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
),

budgets as (
    select * from {{ ref('stg_budgets__budgets') }}
),

-- A period is closed when its data reaches its last day; its forecast as of that day is the bill.
closed as (
    select
        forecasts.budget_name,
        forecasts.billing_period,
        forecasts.forecast_cost as month_cost
    from forecasts
    inner join periods
        on forecasts.billing_period = periods.billing_period
    where
        periods.data_through_date = periods.period_end_date
        and forecasts.as_of_date = periods.period_end_date
),

replayed as (
    select
        forecasts.budget_name,
        forecasts.billing_period,
        budgets.billing_currency,
        forecasts.as_of_date,
        -- 0 = before the month's first day of data.
        forecasts.days_elapsed as days_of_data,
        forecasts.days_remaining,
        forecasts.history_days,
        closed.month_cost,
        forecasts.forecast_cost,
        forecasts.forecast_cost - cast(forecasts.interval_half_width as decimal(38, 10)) as forecast_low,
        forecasts.forecast_cost + cast(forecasts.interval_half_width as decimal(38, 10)) as forecast_high
    from forecasts
    inner join closed
        on
            forecasts.budget_name = closed.budget_name
            and forecasts.billing_period = closed.billing_period
    inner join budgets
        on forecasts.budget_name = budgets.budget_name
    where forecasts.days_remaining > 0
),

final as (
    select
        *,
        forecast_cost - month_cost as error_cost,
        case
            when month_cost <> 0 then round(100 * (forecast_cost - month_cost) / abs(month_cost), 2)
        end as error_pct,
        month_cost between forecast_low and forecast_high as is_covered
    from replayed
)

select * from final
