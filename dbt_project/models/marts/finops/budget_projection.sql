with

budgets as (
    select * from {{ ref('stg_budgets__budgets') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
),

daily_costs as (
    select * from {{ ref('int_budget_costs__daily') }}
),

budget_periods as (
    select
        budgets.*,
        periods.billing_period,
        periods.days_in_period,
        periods.data_through_date,
        periods.billing_currency,
        date_diff('day', periods.billing_period, periods.data_through_date) + 1 as days_elapsed
    from budgets
    cross join periods
),

totals as (
    select
        budget_periods.budget_name,
        budget_periods.billing_period,
        coalesce(sum(daily_costs.cost), 0) as actual_cost,
        coalesce(sum(daily_costs.cost) filter (where daily_costs.usage_date <= budget_periods.data_through_date), 0)
            as complete_days_cost
    from budget_periods
    left join daily_costs
        on
            budget_periods.budget_name = daily_costs.budget_name
            and budget_periods.billing_period = daily_costs.billing_period
    group by all
),

-- The run rate and its spread come from the last (up to) seven complete days, days without cost
-- counting as zero.
recent_days as (
    select
        budget_name,
        billing_period,
        data_through_date,
        cast(unnest(generate_series(
            cast(greatest(billing_period, data_through_date - interval 6 day) as timestamp),
            cast(data_through_date as timestamp),
            interval 1 day
        )) as date) as recent_date
    from budget_periods
),

recent_daily_costs as (
    select
        recent_days.budget_name,
        recent_days.billing_period,
        recent_days.recent_date,
        coalesce(sum(daily_costs.cost), 0) as cost
    from recent_days
    left join daily_costs
        on
            recent_days.budget_name = daily_costs.budget_name
            and recent_days.billing_period = daily_costs.billing_period
            and recent_days.recent_date = daily_costs.usage_date
    group by all
),

recent_stats as (
    select
        budget_name,
        billing_period,
        avg(cost) as run_rate_per_day,
        min(cost) as min_daily_cost,
        max(cost) as max_daily_cost
    from recent_daily_costs
    group by all
),

projected as (
    select
        budget_periods.budget_name,
        budget_periods.scope_type,
        coalesce(budget_periods.scope_value, '') as scope_value,
        budget_periods.cost_basis,
        budget_periods.budget_amount,
        budget_periods.billing_period,
        budget_periods.billing_currency,
        totals.actual_cost,
        budget_periods.data_through_date,
        budget_periods.days_in_period,
        budget_periods.days_elapsed,
        budget_periods.days_in_period - budget_periods.days_elapsed as days_remaining,
        recent_stats.run_rate_per_day,
        -- Complete days are known; every remaining day (the partial last one included) is
        -- extrapolated. A projection is never below what has already been spent.
        greatest(
            totals.actual_cost,
            totals.complete_days_cost + coalesce(recent_stats.run_rate_per_day, 0) * (budget_periods.days_in_period - budget_periods.days_elapsed)
        ) as projected_cost,
        greatest(
            totals.actual_cost,
            totals.complete_days_cost + coalesce(recent_stats.min_daily_cost, 0) * (budget_periods.days_in_period - budget_periods.days_elapsed)
        ) as projected_low,
        greatest(
            totals.actual_cost,
            totals.complete_days_cost + coalesce(recent_stats.max_daily_cost, 0) * (budget_periods.days_in_period - budget_periods.days_elapsed)
        ) as projected_high,
        budget_periods.actual_thresholds,
        budget_periods.forecast_thresholds
    from budget_periods
    inner join totals
        on
            budget_periods.budget_name = totals.budget_name
            and budget_periods.billing_period = totals.billing_period
    left join recent_stats
        on
            budget_periods.budget_name = recent_stats.budget_name
            and budget_periods.billing_period = recent_stats.billing_period
),

percentages as (
    select
        *,
        -- A budget of zero has no percentage: any spend at all is over it.
        round(100.0 * actual_cost / nullif(budget_amount, 0), 4) as actual_pct,
        round(100.0 * projected_cost / nullif(budget_amount, 0), 4) as projected_pct
    from projected
),

final as (
    select
        budget_name,
        scope_type,
        scope_value,
        cost_basis,
        cast(budget_amount as decimal(38, 10)) as budget_amount,
        billing_period,
        billing_currency,
        cast(actual_cost as decimal(38, 10)) as actual_cost,
        data_through_date,
        days_in_period,
        days_elapsed,
        days_remaining,
        days_remaining = 0 as is_period_complete,
        cast(run_rate_per_day as decimal(38, 10)) as run_rate_per_day,
        cast(projected_cost as decimal(38, 10)) as projected_cost,
        cast(projected_low as decimal(38, 10)) as projected_low,
        cast(projected_high as decimal(38, 10)) as projected_high,
        actual_pct,
        projected_pct,
        actual_thresholds,
        forecast_thresholds,
        case
            when budget_amount = 0 then case when actual_cost > 0 then [100.0] else cast([] as double[]) end
            else list_filter(actual_thresholds, lambda t: actual_pct >= t)
        end as crossed_actual_thresholds,
        case
            when budget_amount = 0 then case when projected_cost > 0 then [100.0] else cast([] as double[]) end
            else list_filter(forecast_thresholds, lambda t: projected_pct >= t)
        end as crossed_forecast_thresholds,
        case
            when budget_amount = 0
                then
                    case when actual_cost > 0 then 'critical' when projected_cost > 0 then 'warning' else 'ok' end
            when actual_pct >= 100 then 'critical'
            -- Warning thresholds are the actual thresholds below 100; the forecast one defaults to 100.
            when actual_pct >= coalesce(list_min(list_filter(actual_thresholds, lambda t: t < 100)), 100) then 'warning'
            when projected_pct >= coalesce(list_min(forecast_thresholds), 100) then 'warning'
            else 'ok'
        end as status
    from percentages
)

select * from final
