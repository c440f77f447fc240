-- The month-end forecast of every budget as of every day of every billing period: one row per
-- budget, billing period and as-of date (the last complete day of data, from the day before the
-- period to its end). marts.budget_projection reads the row as of each period's data_through_date;
-- marts.budget_forecast_backtest replays the closed periods and measures error and interval coverage.
-- docs/forecasting.md explains the method and gives the measured figures.
--
-- The month is forecast in two parts:
--   month-level charges (fees, tax, commitments; is_month_level_charge): each charge type as billed
--     in the month once it has arrived, else as billed in the month before;
--   daily usage: the remaining days, each at the median of the same weekday over the last
--     4 weeks (earlier months included), plus the mean of spend above those medians over the last
--     91 days (sporadic large jobs counted at the rate they occur, never extrapolated as if they
--     recurred daily).
-- The prediction interval is the point +- z x sigma x sqrt(remaining days + remaining days^2 / window),
-- sigma being the standard deviation of daily usage around its weekday medians over the window:
-- day-to-day noise plus the uncertainty of the level. Its coverage is measured by the backtest.
{{ config(materialized='table') }}

{%- set window_days = var('forecast_window_days', 28) %}
{%- set weekday_weeks = var('forecast_weekday_weeks', 4) %}
{#- Spend above the weekday medians (sporadic jobs) is averaged over a longer window: its rate. #}
{%- set excess_window_days = var('forecast_excess_window_days', 91) %}
{#- z of the central interval: 1.2816 gives 80%. #}
{%- set interval_z = var('forecast_interval_z', 1.2816) %}

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

-- Only cost in the budget's currency counts (as in budget_projection).
budget_costs as (
    select daily_costs.*
    from daily_costs
    inner join budgets
        on
            daily_costs.budget_name = budgets.budget_name
            and daily_costs.billing_currency = budgets.billing_currency
),

bill_bounds as (
    select
        min(billing_period) as history_start_date,
        max(data_through_date) as data_through_date
    from periods
),

-- Daily usage of every budget on every day of the bill, a day without cost counting as zero.
usage_spine as (
    select
        budgets.budget_name,
        spine_dates.usage_date
    from budgets
    cross join bill_bounds
    {{ unnest_join(date_array('bill_bounds.history_start_date', 'bill_bounds.data_through_date'), 'spine_dates', 'usage_date') }}
),

usage_daily as (
    select
        usage_spine.budget_name,
        usage_spine.usage_date,
        coalesce(sum(budget_costs.cost), 0) as cost
    from usage_spine
    left join budget_costs
        on
            usage_spine.budget_name = budget_costs.budget_name
            and usage_spine.usage_date = budget_costs.usage_date
            and not budget_costs.is_month_level_charge
    group by usage_spine.budget_name, usage_spine.usage_date
),

-- Per day: the median of the same weekday over the last weeks up to that day, and how far the day
-- is above it (a training run, a spike).
weekday_medians as (
    select
        *,
        {{ median('cost') }} over same_weekday as weekday_median,
        count(*) over (partition by budget_name order by usage_date) as history_days
    from usage_daily
    window same_weekday as (
        partition by budget_name, extract(dow from usage_date)
        order by usage_date
        rows between {{ weekday_weeks - 1 }} preceding and current row
    )
),

residuals as (
    select
        *,
        cost - weekday_median as residual,
        greatest(cost - weekday_median, 0) as excess
    from weekday_medians
),

-- Per day, over the trailing window ending that day: the mean excess over the weekday medians and
-- the spread of daily usage around them.
trailing_stats as (
    select
        *,
        avg(excess) over excess_window as mean_excess,
        {{ median('cost') }} over trailing_window as window_median,
        stddev_samp(residual) over trailing_window as residual_sd
    from residuals
    window
        trailing_window as (
            partition by budget_name
            order by usage_date
            rows between {{ window_days - 1 }} preceding and current row
        ),
        excess_window as (
            partition by budget_name
            order by usage_date
            rows between {{ excess_window_days - 1 }} preceding and current row
        )
),

-- Every as-of date of every period: from the day before it (nothing of the month known) to the
-- period's last complete day.
as_of_dates as (
    select
        budgets.budget_name,
        periods.billing_period,
        periods.days_in_period,
        periods.period_end_date,
        periods.data_through_date as period_data_through_date,
        as_of.as_of_date
    from budgets
    cross join periods
    {{ unnest_join(date_array("cast(periods.billing_period - interval '1' day as date)", 'periods.data_through_date'), 'as_of', 'as_of_date') }}
),

-- The expected usage of each remaining day: the as-of date's last seven days carry the weekday
-- medians (a weekday not seen yet, in a bill's first week, takes the median of all days so far),
-- and the remaining days hold each weekday floor(remaining / 7) or one more times.
last_week as (
    select
        as_of_dates.budget_name,
        as_of_dates.billing_period,
        as_of_dates.as_of_date,
        {{ datetime_diff('day', 'as_of_dates.as_of_date', 'as_of_dates.period_end_date') }} as days_remaining,
        week_days.days_back
    from as_of_dates
    {{ unnest_join(integer_array(0, 6), 'week_days', 'days_back') }}
),

remaining_usage as (
    select
        last_week.budget_name,
        last_week.billing_period,
        last_week.as_of_date,
        sum(
            (
                {{ integer_divide('last_week.days_remaining', 7) }}
                + case when 6 - last_week.days_back < last_week.days_remaining % 7 then 1 else 0 end
            ) * coalesce(weekday.weekday_median, as_of_stats.window_median)
        ) as remaining_weekday_usage
    from last_week
    inner join trailing_stats as as_of_stats
        on
            last_week.budget_name = as_of_stats.budget_name
            and last_week.as_of_date = as_of_stats.usage_date
    left join trailing_stats as weekday
        on
            last_week.budget_name = weekday.budget_name
            and weekday.usage_date = {{ add_days('last_week.as_of_date', '-last_week.days_back') }}
    group by last_week.budget_name, last_week.billing_period, last_week.as_of_date
),

-- Month-level charges by type: billed in the period (arrived by the as-of date, or, for the
-- period's latest data, at all) and billed in the period before.
month_level_by_type as (
    select
        budget_name,
        billing_period,
        month_level_charge_type,
        usage_date,
        sum(cost) as cost
    from budget_costs
    where is_month_level_charge
    group by budget_name, billing_period, month_level_charge_type, usage_date
),

month_level_types as (
    select distinct
        budget_name,
        month_level_charge_type
    from month_level_by_type
),

month_level_by_period as (
    select
        budget_name,
        billing_period,
        month_level_charge_type,
        sum(cost) as cost
    from month_level_by_type
    group by budget_name, billing_period, month_level_charge_type
),

month_level_forecast as (
    select
        as_of_dates.budget_name,
        as_of_dates.billing_period,
        as_of_dates.as_of_date,
        types.month_level_charge_type,
        sum(this_month.cost) as arrived_cost,
        max(previous_month.cost) as previous_month_cost
    from as_of_dates
    inner join month_level_types as types
        on as_of_dates.budget_name = types.budget_name
    left join month_level_by_type as this_month
        on
            as_of_dates.budget_name = this_month.budget_name
            and as_of_dates.billing_period = this_month.billing_period
            and types.month_level_charge_type = this_month.month_level_charge_type
            and (
                as_of_dates.as_of_date >= this_month.usage_date
                or as_of_dates.as_of_date = as_of_dates.period_data_through_date
            )
    left join month_level_by_period as previous_month
        on
            as_of_dates.budget_name = previous_month.budget_name
            and previous_month.billing_period = cast(as_of_dates.billing_period - interval '1' month as date)
            and types.month_level_charge_type = previous_month.month_level_charge_type
    group by
        as_of_dates.budget_name, as_of_dates.billing_period, as_of_dates.as_of_date, types.month_level_charge_type
),

month_level as (
    select
        budget_name,
        billing_period,
        as_of_date,
        coalesce(sum(arrived_cost), 0) as month_level_cost,
        coalesce(sum(coalesce(arrived_cost, previous_month_cost)), 0) as month_level_forecast_cost
    from month_level_forecast
    group by budget_name, billing_period, as_of_date
),

usage_to_date as (
    select
        as_of_dates.budget_name,
        as_of_dates.billing_period,
        as_of_dates.as_of_date,
        coalesce(sum(usage_daily.cost), 0) as usage_cost
    from as_of_dates
    left join usage_daily
        on
            as_of_dates.budget_name = usage_daily.budget_name
            and usage_daily.usage_date between as_of_dates.billing_period and as_of_dates.as_of_date
    group by as_of_dates.budget_name, as_of_dates.billing_period, as_of_dates.as_of_date
),

final as (
    select
        as_of_dates.budget_name,
        as_of_dates.billing_period,
        as_of_dates.as_of_date,
        {{ datetime_diff('day', 'as_of_dates.billing_period', 'as_of_dates.as_of_date') }} + 1 as days_elapsed,
        {{ datetime_diff('day', 'as_of_dates.as_of_date', 'as_of_dates.period_end_date') }} as days_remaining,
        -- Days of daily-usage history behind the forecast (earlier months included).
        coalesce(trailing_stats.history_days, 0) as history_days,
        cast(usage_to_date.usage_cost as decimal(38, 10)) as usage_cost_to_date,
        cast(coalesce(month_level.month_level_cost, 0) as decimal(38, 10)) as month_level_cost_to_date,
        cast(coalesce(month_level.month_level_forecast_cost, 0) as decimal(38, 10)) as month_level_forecast_cost,
        cast(
            coalesce(remaining_usage.remaining_weekday_usage, 0)
            + coalesce(trailing_stats.mean_excess, 0) * {{ datetime_diff('day', 'as_of_dates.as_of_date', 'as_of_dates.period_end_date') }}
            as decimal(38, 10)
        ) as usage_forecast_remaining_cost,
        -- Half the width of the prediction interval (DOUBLE: a statistical spread, not money).
        {{ interval_z }} * coalesce(trailing_stats.residual_sd, 0) * sqrt(
            {{ datetime_diff('day', 'as_of_dates.as_of_date', 'as_of_dates.period_end_date') }}
            + pow({{ datetime_diff('day', 'as_of_dates.as_of_date', 'as_of_dates.period_end_date') }}, 2) / {{ window_days }}
        ) as interval_half_width
    from as_of_dates
    inner join usage_to_date
        on
            as_of_dates.budget_name = usage_to_date.budget_name
            and as_of_dates.billing_period = usage_to_date.billing_period
            and as_of_dates.as_of_date = usage_to_date.as_of_date
    left join trailing_stats
        on
            as_of_dates.budget_name = trailing_stats.budget_name
            and as_of_dates.as_of_date = trailing_stats.usage_date
    left join remaining_usage
        on
            as_of_dates.budget_name = remaining_usage.budget_name
            and as_of_dates.billing_period = remaining_usage.billing_period
            and as_of_dates.as_of_date = remaining_usage.as_of_date
    left join month_level
        on
            as_of_dates.budget_name = month_level.budget_name
            and as_of_dates.billing_period = month_level.billing_period
            and as_of_dates.as_of_date = month_level.as_of_date
)

select
    *,
    -- No day of history at all (before the bill's first day): nothing to forecast from.
    case
        when history_days > 0 then usage_cost_to_date + month_level_forecast_cost + usage_forecast_remaining_cost
    end as forecast_cost
from final
