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
        {{ datetime_diff('day', 'periods.billing_period', 'periods.data_through_date') }} + 1 as days_elapsed
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
        {{ ordered_array_agg(
            "coalesce(daily_costs.billing_currency, 'unknown')", ["coalesce(daily_costs.billing_currency, 'unknown')"], distinct=true
        ) }} as uncounted_currencies
    from daily_costs
    inner join budgets on daily_costs.budget_name = budgets.budget_name
    where daily_costs.billing_currency is distinct from budgets.billing_currency
    group by daily_costs.budget_name, daily_costs.billing_period
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
    group by budget_periods.budget_name, budget_periods.billing_period
),

-- The month-end forecast as of the period's last complete day (int_budget_forecasts: month-level
-- charges apart from daily usage, weekday medians over earlier months too, a measured interval).
forecasts as (
    select
        forecasts.*,
        cast(forecasts.interval_half_width as decimal(38, 10)) as interval_half_width_cost
    from {{ ref('int_budget_forecasts') }} as forecasts
    inner join periods
        on
            forecasts.billing_period = periods.billing_period
            and forecasts.as_of_date = periods.data_through_date
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
        -- The usage expected per remaining day (month-level charges apart).
        case
            when forecasts.days_remaining > 0
                then {{ divide_money('forecasts.usage_forecast_remaining_cost', 'forecasts.days_remaining') }}
        end as run_rate_per_day,
        forecasts.history_days,
        forecasts.month_level_cost_to_date,
        forecasts.month_level_forecast_cost,
        -- Complete days are known; month-level charges not yet billed come from the month before;
        -- every remaining day (the partial last one included) is forecast. A projection is never
        -- below what has already been spent, and low <= projected <= high by construction.
        greatest(totals.actual_cost, coalesce(forecasts.forecast_cost, totals.complete_days_cost)) as projected_cost,
        greatest(
            totals.actual_cost,
            coalesce(forecasts.forecast_cost, totals.complete_days_cost) - coalesce(forecasts.interval_half_width_cost, 0)
        ) as projected_low,
        greatest(totals.actual_cost, coalesce(forecasts.forecast_cost, totals.complete_days_cost))
        + coalesce(forecasts.interval_half_width_cost, 0) as projected_high,
        coalesce(uncounted.uncounted_currencies, {{ empty_array(dbt.type_string()) }}) as uncounted_currencies,
        budget_periods.actual_thresholds,
        budget_periods.forecast_thresholds
    from budget_periods
    inner join totals
        on
            budget_periods.budget_name = totals.budget_name
            and budget_periods.billing_period = totals.billing_period
    left join forecasts
        on
            budget_periods.budget_name = forecasts.budget_name
            and budget_periods.billing_period = forecasts.billing_period
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
        {{ array_filter('actual_thresholds', 't', 'actual_cost * 100 >= budget_amount * cast(t as decimal(18, 6))') }}
            as reached_actual_thresholds,
        {{ array_filter('forecast_thresholds', 't', 'projected_cost * 100 >= budget_amount * cast(t as decimal(18, 6))') }}
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
        history_days,
        cast(month_level_cost_to_date as decimal(38, 10)) as month_level_cost,
        cast(month_level_forecast_cost as decimal(38, 10)) as month_level_forecast_cost,
        cast(projected_cost as decimal(38, 10)) as projected_cost,
        cast(projected_low as decimal(38, 10)) as projected_low,
        cast(projected_high as decimal(38, 10)) as projected_high,
        actual_pct,
        projected_pct,
        actual_thresholds,
        forecast_thresholds,
        case
            when budget_amount = 0 then case when actual_cost > 0 then {{ array_of('cast(100.0 as double)') }} else {{ empty_array('double') }} end
            else reached_actual_thresholds
        end as crossed_actual_thresholds,
        case
            when budget_amount = 0 then case when projected_cost > 0 then {{ array_of('cast(100.0 as double)') }} else {{ empty_array('double') }} end
            else reached_forecast_thresholds
        end as crossed_forecast_thresholds,
        case
            when budget_amount = 0
                then
                    case when actual_cost > 0 then 'critical' when projected_cost > 0 then 'warning' else 'ok' end
            when actual_cost >= budget_amount then 'critical'
            -- Warning: an actual threshold below 100 reached, or a forecast threshold (100 when none is set).
            when {{ array_min('reached_actual_thresholds') }} < 100 then 'warning'
            when {{ array_length('reached_forecast_thresholds') }} > 0 then 'warning'
            when {{ array_length('forecast_thresholds') }} = 0 and projected_cost >= budget_amount then 'warning'
            else 'ok'
        end as status,
        uncounted_currencies
    from percentages
)

select * from final
