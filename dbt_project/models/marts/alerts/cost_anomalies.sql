-- Days whose spend is unusually high for a model, or for the whole bill, against a seasonal baseline.
-- Expected cost is the median of the same weekday over the previous weeks (a quiet weekend never
-- makes Monday look like a spike); the noise scale is the median absolute deviation of the trailing
-- days from their own expectation. A day is an anomaly when its robust z reaches the threshold and
-- its extra spend reaches a minimum impact, so pennies never page anyone. Amounts in different
-- currencies are never added: billing_currency is part of every scope.

{%- set baseline_weeks = var('anomaly_baseline_weeks', 4) %}
{%- set baseline_days = var('anomaly_baseline_days', 14) %}
{%- set z_threshold = var('anomaly_z_threshold', 3.5) %}
{%- set high_z = var('anomaly_high_z', 7) %}
{#- Both come from the environment through dbt_project.yml, where their one default lives. #}
{%- set min_impact = number_var('anomaly_min_impact', 'ALERTS_ANOMALY_MIN_IMPACT') %}
{%- set lookback_days = number_var('anomaly_alert_lookback_days', 'ALERTS_ANOMALY_LOOKBACK_DAYS', whole=true) %}

with

costs as (
    select * from {{ ref('cost_by_model') }}
),

daily_by_model as (
    select
        usage_date,
        'model' as scope_type,
        model_name as scope_value,
        billing_currency,
        sum(effective_cost) as actual_cost
    from costs
    group by usage_date, model_name, billing_currency
),

daily_total as (
    select
        usage_date,
        'total' as scope_type,
        'total' as scope_value,
        billing_currency,
        sum(effective_cost) as actual_cost
    from costs
    group by usage_date, billing_currency
),

daily as (
    select * from daily_by_model
    union all
    select * from daily_total
),

bounds as (
    select max(usage_date) as data_through_date
    from costs
),

scopes as (
    select
        scope_type,
        scope_value,
        billing_currency,
        min(usage_date) as first_date
    from daily
    group by scope_type, scope_value, billing_currency
),

-- Every day from a scope's first spend to the end of the data: a day without spend costs 0, and the
-- row-based windows below need consecutive days.
spine as (
    select
        scopes.scope_type,
        scopes.scope_value,
        scopes.billing_currency,
        cast(unnest(generate_series(
            cast(scopes.first_date as timestamp), cast(bounds.data_through_date as timestamp), interval 1 day
        )) as date) as usage_date
    from scopes
    cross join bounds
),

filled as (
    select
        spine.usage_date,
        spine.scope_type,
        spine.scope_value,
        spine.billing_currency,
        coalesce(daily.actual_cost, 0) as actual_cost
    from spine
    left join daily
        on
            spine.usage_date = daily.usage_date
            and spine.scope_type = daily.scope_type
            and spine.scope_value = daily.scope_value
            and spine.billing_currency = daily.billing_currency
),

seasonal as (
    select
        *,
        median(actual_cost) over same_weekday as expected_cost,
        count(actual_cost) over same_weekday as baseline_weeks
    from filled
    window same_weekday as (
        partition by scope_type, scope_value, billing_currency, dayofweek(usage_date)
        order by usage_date
        rows between {{ baseline_weeks }} preceding and 1 preceding
    )
),

residuals as (
    select
        *,
        actual_cost - expected_cost as impact_cost
    from seasonal
),

scored as (
    select
        *,
        median(abs(impact_cost)) over trailing_days as mad_cost,
        count(impact_cost) over trailing_days as baseline_days,
        -- More than one currency for this scope and day: the alert key then names the currency.
        count(*) over (partition by scope_type, scope_value, usage_date) as currencies_that_day
    from residuals
    window trailing_days as (
        partition by scope_type, scope_value, billing_currency
        order by usage_date
        rows between {{ baseline_days }} preceding and 1 preceding
    )
),

deviations as (
    select
        *,
        -- 1.4826 x MAD estimates a standard deviation; the floor (5% of expected, at least 0.01) keeps
        -- a perfectly flat history from turning a small change into an infinite z.
        impact_cost / greatest(1.4826 * mad_cost, 0.05 * expected_cost, 0.01) as deviation
    from scored
),

final as (
    select
        deviations.scope_type || ':' || deviations.scope_value || ':' || deviations.billing_currency || ':'
        || strftime(deviations.usage_date, '%Y-%m-%d') as anomaly_id,
        -- The ledger key: one alert per scope and day (per currency only when the day has several,
        -- so keys stay those of earlier releases and an upgrade never sends an alert again).
        'anomaly:' || deviations.scope_type || ':' || deviations.scope_value || ':'
        || strftime(deviations.usage_date, '%Y-%m-%d')
        || case when deviations.currencies_that_day > 1 then ':' || deviations.billing_currency else '' end
            as alert_key,
        deviations.usage_date,
        deviations.scope_type,
        deviations.scope_value,
        deviations.billing_currency,
        cast(deviations.actual_cost as decimal(38, 10)) as actual_cost,
        cast(deviations.expected_cost as decimal(38, 10)) as expected_cost,
        cast(deviations.impact_cost as decimal(38, 10)) as impact_cost,
        round(deviations.deviation, 2) as deviation,
        case
            when deviations.expected_cost > 0
                then round(100 * deviations.impact_cost / deviations.expected_cost, 1)
        end as deviation_pct,
        case when deviations.deviation >= {{ high_z }} then 'high' else 'medium' end as severity,
        deviations.baseline_weeks,
        deviations.baseline_days,
        bounds.data_through_date,
        -- Announced only on the last few days of data, so the first build over a year of history
        -- does not page anyone for last spring.
        date_diff('day', deviations.usage_date, bounds.data_through_date) < {{ lookback_days }} as is_alert_due,
        -- News while among the last days of data, plus a week's grace for a Slack outage or late
        -- data; a pending alert not sent by then is history and is not sent.
        cast(deviations.usage_date + to_days({{ lookback_days }} + 7) as date) as due_until_date
    from deviations
    cross join bounds
    where
        -- At least two earlier same weekdays and a week of residuals before anything is judged.
        deviations.baseline_weeks >= 2
        and deviations.baseline_days >= 7
        and deviations.deviation >= {{ z_threshold }}
        and deviations.impact_cost >= {{ min_impact }}
)

select * from final
