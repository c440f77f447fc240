-- Days whose daily usage is unusually high (or low) for a model, a service, an account, or the whole
-- bill, against a seasonal baseline. Month-level charges (fees, tax, commitments, credits; see
-- is_month_level_charge) are left out: they are not daily usage. Expected cost is the median of the
-- same weekday over the previous weeks (a quiet weekend never makes Monday look like a spike); the
-- noise scale is the median absolute deviation of the trailing days from their own expectation. A
-- day is an anomaly when its robust z reaches the threshold and its extra spend reaches both a
-- dollar floor and a percentage floor, so pennies never page anyone. Spend that already came twice
-- at half the size or more in the last nine weeks (a scheduled training run, monthly or more often)
-- is usual, not an anomaly. Increases alert; drops are recorded, at severity low, and never alert.
-- root_causes names the usage types, resources and accounts that explain most of the difference.
-- Amounts in different currencies are never added: billing_currency is part of every scope.

{%- set baseline_weeks = var('anomaly_baseline_weeks', 4) %}
{%- set baseline_days = var('anomaly_baseline_days', 14) %}
{%- set z_threshold = var('anomaly_z_threshold', 3.5) %}
{%- set high_z = var('anomaly_high_z', 7) %}
{#- An increase must also be this many percent above the expected cost. #}
{%- set min_pct = var('anomaly_min_pct', 30) %}
{#- Days in the trailing weeks with a similar excess that make a spike a habit, not an anomaly. #}
{%- set recurring_days = var('anomaly_recurring_days', 2) %}
{#- Days of a scope's history before any of its days is judged (the habit check needs some). #}
{%- set warmup_days = var('anomaly_warmup_days', 42) %}
{%- set recurring_window_days = var('anomaly_recurring_window_days', 63) %}
{#- Both come from the environment through dbt_project.yml, where their one default lives. #}
{%- set min_impact = number_var('anomaly_min_impact', 'ALERTS_ANOMALY_MIN_IMPACT') %}
{%- set lookback_days = number_var('anomaly_alert_lookback_days', 'ALERTS_ANOMALY_LOOKBACK_DAYS', whole=true) %}
{#- What each of root_causes' entries holds: [name, expression over ranked_causes, type]. -#}
{%- set cause_fields = [
    ['usage_type', 'usage_type', dbt.type_string()],
    ['resource_id', "nullif(resource_id, '')", dbt.type_string()],
    ['account_id', 'account_id', dbt.type_string()],
    ['impact_cost', 'cause_impact_cost', 'decimal(38, 10)'],
] %}

with

-- Daily usage only: month-level charges are billed to the period's first day.
costs as (
    select
        *,
        coalesce(sub_account_id, billing_account_id, 'unknown') as account_id
    from {{ ref('cost_attribution') }}
    where not is_month_level_charge
),

scoped_costs as (
    select
        usage_date,
        'model' as scope_type,
        model_name as scope_value,
        billing_currency,
        effective_cost
    from costs
    union all
    select
        usage_date,
        'service' as scope_type,
        service_name as scope_value,
        billing_currency,
        effective_cost
    from costs
    union all
    select
        usage_date,
        'account' as scope_type,
        account_id as scope_value,
        billing_currency,
        effective_cost
    from costs
    union all
    select
        usage_date,
        'total' as scope_type,
        'total' as scope_value,
        billing_currency,
        effective_cost
    from costs
),

daily as (
    select
        usage_date,
        scope_type,
        scope_value,
        billing_currency,
        sum(effective_cost) as actual_cost
    from scoped_costs
    group by usage_date, scope_type, scope_value, billing_currency
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
        scopes.first_date,
        spine_dates.usage_date
    from scopes
    cross join bounds
    {{ unnest_join(date_array('scopes.first_date', 'bounds.data_through_date'), 'spine_dates', 'usage_date') }}
),

filled as (
    select
        spine.usage_date,
        spine.scope_type,
        spine.scope_value,
        spine.billing_currency,
        spine.first_date,
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
        {{ median('actual_cost') }} over same_weekday as expected_cost,
        count(actual_cost) over same_weekday as baseline_weeks
    from filled
    window same_weekday as (
        partition by scope_type, scope_value, billing_currency, extract(dow from usage_date)
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
        {{ median('abs(impact_cost)') }} over trailing_days as mad_cost,
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

candidates as (
    select
        *,
        case when impact_cost > 0 then 'increase' else 'drop' end as direction
    from deviations
    where
        -- Nothing is judged before the scope's warm-up: its same weekdays, its noise and its habits
        -- (scheduled training) need history.
        baseline_weeks >= 2
        and baseline_days >= 7
        and {{ datetime_diff('day', 'first_date', 'usage_date') }} >= {{ warmup_days }}
        and abs(deviation) >= {{ z_threshold }}
        and abs(impact_cost) >= {{ min_impact }}
        and (expected_cost <= 0 or 100 * abs(impact_cost) >= {{ min_pct }} * expected_cost)
),

-- The kind of usage that explains most of an increase: per model and usage family (the usage type
-- without its instance type or size: USE1-Train, BoxUsage, DataTransfer-Out-Bytes), its cost in the
-- scope that day against the mean of the same weekday over the previous weeks.
candidate_types as (
    select
        candidates.scope_type,
        candidates.scope_value,
        candidates.billing_currency,
        candidates.usage_date,
        costs.model_name,
        split_part(coalesce(cast(costs.usage_type as {{ dbt.type_string() }}), 'unknown'), ':', 1) as usage_family,
        coalesce(sum(costs.effective_cost) filter (where costs.usage_date = candidates.usage_date), 0)
        - coalesce(sum(costs.effective_cost) filter (where costs.usage_date < candidates.usage_date), 0)
        / {{ baseline_weeks }} as type_impact_cost
    from candidates
    inner join costs
        on {{ anomaly_costs_on('candidates', baseline_weeks) }}
    where candidates.direction = 'increase'
    group by
        candidates.scope_type, candidates.scope_value, candidates.billing_currency, candidates.usage_date,
        costs.model_name, split_part(coalesce(cast(costs.usage_type as {{ dbt.type_string() }}), 'unknown'), ':', 1)
),

ranked_types as (
    select
        *,
        row_number() over (
            partition by scope_type, scope_value, billing_currency, usage_date
            order by type_impact_cost desc, model_name asc, usage_family asc
        ) as type_rank
    from candidate_types
),

top_types as (
    select * from ranked_types
    where type_rank = 1
),

-- That model's usage family's cost across the whole bill on each day of the habit window before the
-- increase (0 when nothing was billed): a model's retraining is a habit whichever account runs it.
type_history as (
    select
        top_types.scope_type,
        top_types.scope_value,
        top_types.billing_currency,
        top_types.usage_date,
        top_types.type_impact_cost,
        window_days.days_before,
        coalesce(sum(costs.effective_cost), 0) as day_cost
    from top_types
    {{ unnest_join(integer_array(1, recurring_window_days), 'window_days', 'days_before') }}
    left join costs
        on
            top_types.billing_currency = costs.billing_currency
            and top_types.model_name is not distinct from costs.model_name
            and top_types.usage_family = split_part(coalesce(cast(costs.usage_type as {{ dbt.type_string() }}), 'unknown'), ':', 1)
            and costs.usage_date = {{ add_days('top_types.usage_date', '-window_days.days_before') }}
    group by
        top_types.scope_type, top_types.scope_value, top_types.billing_currency, top_types.usage_date,
        top_types.type_impact_cost, window_days.days_before
),

-- A spike whose model's usage family already rose as much (half the size or more above its median
-- over the window) on anomaly_recurring_days days in the last anomaly_recurring_window_days is a
-- habit (a model's scheduled training, a weekly batch), not an anomaly. An incident of another kind
-- in the same scope (an endpoint scaled out, a GPU box left running, where training runs are usual)
-- still is one.
recurrences as (
    select
        scope_type,
        scope_value,
        billing_currency,
        usage_date,
        count(*) filter (where day_cost - usual_cost >= 0.5 * type_impact_cost) as similar_days
    from (
        select
            *,
            {{ median('day_cost') }} over (partition by scope_type, scope_value, billing_currency, usage_date)
                as usual_cost
        from type_history
    ) as history
    group by scope_type, scope_value, billing_currency, usage_date
),

anomalies as (
    select candidates.*
    from candidates
    left join recurrences
        on
            candidates.scope_type = recurrences.scope_type
            and candidates.scope_value = recurrences.scope_value
            and candidates.billing_currency = recurrences.billing_currency
            and candidates.usage_date = recurrences.usage_date
    where candidates.direction = 'drop' or coalesce(recurrences.similar_days, 0) < {{ recurring_days }}
),

-- Root causes: per usage type, resource and account in the anomaly's scope, the day's cost against
-- the mean of the same weekday over the previous weeks; the largest differences explain the anomaly.
cause_costs as (
    select
        anomalies.scope_type,
        anomalies.scope_value,
        anomalies.billing_currency,
        anomalies.usage_date,
        anomalies.direction,
        coalesce(cast(costs.usage_type as {{ dbt.type_string() }}), 'unknown') as usage_type,
        coalesce(cast(costs.resource_id as {{ dbt.type_string() }}), '') as resource_id,
        costs.account_id,
        sum(costs.effective_cost) filter (where costs.usage_date = anomalies.usage_date) as day_cost,
        sum(costs.effective_cost) filter (where costs.usage_date < anomalies.usage_date) / {{ baseline_weeks }} as usual_cost
    from anomalies
    inner join costs
        on {{ anomaly_costs_on('anomalies', baseline_weeks) }}
    group by
        anomalies.scope_type, anomalies.scope_value, anomalies.billing_currency, anomalies.usage_date, anomalies.direction,
        coalesce(cast(costs.usage_type as {{ dbt.type_string() }}), 'unknown'),
        coalesce(cast(costs.resource_id as {{ dbt.type_string() }}), ''),
        costs.account_id
),

ranked_causes as (
    select
        *,
        coalesce(day_cost, 0) - coalesce(usual_cost, 0) as cause_impact_cost,
        row_number() over (
            partition by scope_type, scope_value, billing_currency, usage_date
            order by
                case
                    when direction = 'increase' then coalesce(day_cost, 0) - coalesce(usual_cost, 0)
                    else coalesce(usual_cost, 0) - coalesce(day_cost, 0)
                end desc,
                usage_type, resource_id asc
        ) as cause_rank
    from cause_costs
),

root_causes as (
    select
        scope_type,
        scope_value,
        billing_currency,
        usage_date,
        {{ ordered_array_agg(struct_of(cause_fields), ['cause_rank']) }} as root_causes
    from ranked_causes
    where cause_rank <= 3 and cause_impact_cost <> 0
    group by scope_type, scope_value, billing_currency, usage_date
),

final as (
    select
        anomalies.scope_type || ':' || anomalies.scope_value || ':' || anomalies.billing_currency || ':'
        || {{ format_date('anomalies.usage_date', '%Y-%m-%d') }} as anomaly_id,
        -- The ledger key: one alert per scope and day (per currency only when the day has several,
        -- so keys stay those of earlier releases and an upgrade never sends an alert again).
        'anomaly:' || anomalies.scope_type || ':' || anomalies.scope_value || ':'
        || {{ format_date('anomalies.usage_date', '%Y-%m-%d') }}
        || case when anomalies.currencies_that_day > 1 then ':' || anomalies.billing_currency else '' end
            as alert_key,
        anomalies.usage_date,
        anomalies.scope_type,
        anomalies.scope_value,
        anomalies.billing_currency,
        cast(anomalies.actual_cost as decimal(38, 10)) as actual_cost,
        cast(anomalies.expected_cost as decimal(38, 10)) as expected_cost,
        cast(anomalies.impact_cost as decimal(38, 10)) as impact_cost,
        round(anomalies.deviation, 2) as deviation,
        case
            when anomalies.expected_cost > 0
                then round(100 * anomalies.impact_cost / anomalies.expected_cost, 1)
        end as deviation_pct,
        anomalies.direction,
        -- Doublings of the impact above the dollar floor (0 from the floor to twice it): an alert
        -- already sent for this scope and day is sent again only when this grows (the ledger keeps
        -- the highest level announced), so a day whose late hours make it worse re-alerts once.
        cast(floor(log2(greatest(abs(anomalies.impact_cost) / greatest({{ min_impact }}, 1), 1))) as integer)
            as impact_level,
        case
            when anomalies.direction = 'drop' then 'low'
            when anomalies.deviation >= {{ high_z }} then 'high'
            else 'medium'
        end as severity,
        {{ weekday_name('anomalies.usage_date') }} as weekday_name,
        coalesce(
            root_causes.root_causes,
            {{ empty_array(struct_type(cause_fields)) }}
        ) as root_causes,
        anomalies.baseline_weeks,
        anomalies.baseline_days,
        bounds.data_through_date,
        -- Announced only on the last few days of data, so the first build over a year of history
        -- does not page anyone for last spring.
        -- Drops are recorded, never announced.
        anomalies.direction = 'increase'
        and {{ datetime_diff('day', 'anomalies.usage_date', 'bounds.data_through_date') }} < {{ lookback_days }} as is_alert_due,
        -- News while among the last days of data, plus a week's grace for a Slack outage or late
        -- data; a pending alert not sent by then is history and is not sent.
        cast({{ add_days('anomalies.usage_date', lookback_days ~ ' + 7') }} as date) as due_until_date
    from anomalies
    cross join bounds
    left join root_causes
        on
            anomalies.scope_type = root_causes.scope_type
            and anomalies.scope_value = root_causes.scope_value
            and anomalies.billing_currency = root_causes.billing_currency
            and anomalies.usage_date = root_causes.usage_date
)

select * from final
