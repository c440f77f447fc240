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
        date_diff('day', periods.billing_period, periods.data_through_date) + 1 as days_elapsed
    from budgets
    cross join periods
),

-- Only cost in the budget's currency counts: amounts in other currencies are never converted or
-- added (they are listed in uncounted_currencies instead).
budget_daily_costs as (
    select daily_costs.*
    from daily_costs
    inner join budgets
        on
            daily_costs.budget_name = budgets.budget_name
            and daily_costs.billing_currency = budgets.billing_currency
),

uncounted as (
    select
        daily_costs.budget_name,
        daily_costs.billing_period,
        list(distinct coalesce(daily_costs.billing_currency, 'unknown') order by coalesce(daily_costs.billing_currency, 'unknown'))
            as uncounted_currencies
    from daily_costs
    inner join budgets on daily_costs.budget_name = budgets.budget_name
    where daily_costs.billing_currency is distinct from budgets.billing_currency
    group by all
),

totals as (
    select
        budget_periods.budget_name,
        budget_periods.billing_period,
        coalesce(sum(budget_daily_costs.cost), 0) as actual_cost,
        coalesce(sum(budget_daily_costs.cost) filter (where budget_daily_costs.usage_date <= budget_periods.data_through_date), 0)
            as complete_days_cost
    from budget_periods
    left join budget_daily_costs
        on
            budget_periods.budget_name = budget_daily_costs.budget_name
            and budget_periods.billing_period = budget_daily_costs.billing_period
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
        coalesce(sum(budget_daily_costs.cost), 0) as cost
    from recent_days
    left join budget_daily_costs
        on
            recent_days.budget_name = budget_daily_costs.budget_name
            and recent_days.billing_period = budget_daily_costs.billing_period
            and recent_days.recent_date = budget_daily_costs.usage_date
    group by all
),

-- Everything below stays DECIMAL: the mean is divided exactly (divide_money), so min <= mean <= max
-- holds to the last decimal and projected_low <= projected_cost <= projected_high by construction.
-- (avg() would return a DOUBLE and, on a bill of millions, put the projections out of order in
-- the 10th decimal.)
recent_stats as (
    select
        budget_name,
        billing_period,
        {{ divide_money('sum(cost)', 'count(*)') }} as run_rate_per_day,
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
        coalesce(uncounted.uncounted_currencies, cast([] as varchar[])) as uncounted_currencies,
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
    left join uncounted
        on
            budget_periods.budget_name = uncounted.budget_name
            and budget_periods.billing_period = uncounted.billing_period
),

-- Percentages are DOUBLE rounded to 4 decimals, for display and sorting. Whether a threshold is
-- reached is decided on the DECIMAL amounts (cost x 100 >= amount x threshold), so a cost a
-- hair below the budget is never rounded up to 100%.
percentages as (
    select
        *,
        -- A budget of zero has no percentage: any spend at all is over it.
        round(100.0 * actual_cost / nullif(budget_amount, 0), 4) as actual_pct,
        round(100.0 * projected_cost / nullif(budget_amount, 0), 4) as projected_pct,
        list_filter(actual_thresholds, lambda t: actual_cost * 100 >= budget_amount * cast(t as decimal(18, 6)))
            as reached_actual_thresholds,
        list_filter(forecast_thresholds, lambda t: projected_cost * 100 >= budget_amount * cast(t as decimal(18, 6)))
            as reached_forecast_thresholds
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
            else reached_actual_thresholds
        end as crossed_actual_thresholds,
        case
            when budget_amount = 0 then case when projected_cost > 0 then [100.0] else cast([] as double[]) end
            else reached_forecast_thresholds
        end as crossed_forecast_thresholds,
        case
            when budget_amount = 0
                then
                    case when actual_cost > 0 then 'critical' when projected_cost > 0 then 'warning' else 'ok' end
            when actual_cost >= budget_amount then 'critical'
            -- Warning: an actual threshold below 100 reached, or a forecast threshold (100 when none is set).
            when list_min(reached_actual_thresholds) < 100 then 'warning'
            when len(reached_forecast_thresholds) > 0 then 'warning'
            when len(forecast_thresholds) = 0 and projected_cost >= budget_amount then 'warning'
            else 'ok'
        end as status,
        uncounted_currencies
    from percentages
)

select * from final
