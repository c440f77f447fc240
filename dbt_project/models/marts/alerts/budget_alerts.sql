-- One row per budget alert that is due: the highest threshold of a budget that spend so far
-- (actual) or the forecast for the month has reached, in the billing period that contains "today",
-- or, for spend, in the month that just closed while its last days arrive (the bill lags one to
-- three days): that alert is the month's final figure. This file is the whole rule for when a
-- budget alert fires; marts.budget_projection supplies the amounts and the thresholds they
-- reached. The alerts/ledger asset records each row once (by alert_key) and the alert delivery
-- sensor sends it.
--
-- A forecast alert waits until the forecast is trustworthy: at least budget_forecast_min_days
-- complete days of the month and budget_forecast_min_history_days days of history behind it, and
-- the interval's bound (budget_forecast_bound: low, the default, or point) must reach the
-- threshold, not only the point. docs/alerts.md and docs/forecasting.md give the measured effect.

{#- "Today" is the UTC date of the build unless the var as_of_date (YYYY-MM-DD) replays another day (unit tests). -#}
{%- set as_of_date = var('as_of_date', none) %}
{%- if as_of_date and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of_date | string) %}
    {{ exceptions.raise_compiler_error("dbt var as_of_date must be a date YYYY-MM-DD, not '" ~ as_of_date ~ "'") }}
{%- endif %}
{%- set forecast_min_days = var('budget_forecast_min_days', 5) %}
{%- set forecast_min_history_days = var('budget_forecast_min_history_days', 28) %}
{%- set forecast_bound = var('budget_forecast_bound', 'low') %}
{%- if forecast_bound not in ('low', 'point') %}
    {{ exceptions.raise_compiler_error("dbt var budget_forecast_bound must be low or point, not '" ~ forecast_bound ~ "'") }}
{%- endif %}
{%- set closing_days = var('budget_closing_days', 5) %}
{#- What each of top_drivers' entries holds: [name, expression over ranked_drivers, type]. -#}
{%- set driver_fields = [
    ['name', 'driver_name', dbt.type_string()],
    ['cost', 'driver_cost', 'decimal(38, 10)'],
    ['share_pct', 'round(100 * driver_cost / nullif(actual_cost, 0), 1)', 'double'],
    ['previous_cost', 'previous_cost', 'decimal(38, 10)'],
    ['change_cost', 'driver_cost - previous_cost', 'decimal(38, 10)'],
] %}

with

projections as (
    select * from {{ ref('budget_projection') }}
),

costs as (
    select * from {{ ref('cost_attribution') }}
),

as_of as (
    select
        {% if as_of_date -%}
            cast('{{ as_of_date }}' as date)
        {%- else -%}
            {{ utc_today() }}
        {%- endif %} as as_of_date
),

-- The open month (the billing period that contains as_of_date) alerts; so does the month before
-- while its late days arrive (up to budget_closing_days after its end), for spend only: its alert
-- is the final figure. Earlier periods are closed, so loading old exports (a backfill) or a restated
-- month never pages anyone.
open_projections as (
    select
        projections.*,
        as_of.as_of_date,
        projections.billing_period < cast(date_trunc('month', as_of.as_of_date) as date) as is_final_figure,
        {{ datetime_diff('day', 'projections.billing_period', 'projections.data_through_date') }} + 1 as days_with_data
    from projections
    cross join as_of
    where
        projections.billing_period = cast(date_trunc('month', as_of.as_of_date) as date)
        or (
            projections.billing_period = cast(date_trunc('month', as_of.as_of_date) - interval '1' month as date)
            and as_of.as_of_date <= {{ add_days(month_end('projections.billing_period'), closing_days) }}
        )
),

-- The forecast thresholds that may alert: those the projection reached, once the forecast is
-- trustworthy, whose bound also reaches them. A budget of zero keeps the mart's verdict.
trusted as (
    select
        *,
        case
            when is_final_figure then {{ empty_array('double') }}
            when days_with_data < {{ forecast_min_days }} or coalesce(history_days, 0) < {{ forecast_min_history_days }}
                then {{ empty_array('double') }}
            when budget_amount = 0 then crossed_forecast_thresholds
            else {{ array_filter(
                'crossed_forecast_thresholds',
                't',
                ('coalesce(projected_low, projected_cost)' if forecast_bound == 'low' else 'projected_cost')
                ~ ' * 100 >= budget_amount * cast(t as decimal(18, 6))'
            ) }}
        end as alerting_forecast_thresholds
    from open_projections
),

-- One candidate per threshold reached, of either kind.
crossings as (
    select
        trusted.*,
        'actual' as alert_kind,
        trusted.crossed_actual_thresholds as crossed_thresholds,
        thresholds.threshold_pct
    from trusted
    {{ unnest_join('trusted.crossed_actual_thresholds', 'thresholds', 'threshold_pct') }}
    union all
    select
        trusted.*,
        'forecast' as alert_kind,
        trusted.alerting_forecast_thresholds as crossed_thresholds,
        thresholds.threshold_pct
    from trusted
    {{ unnest_join('trusted.alerting_forecast_thresholds', 'thresholds', 'threshold_pct') }}
),

-- A forecast of a threshold that spend has already reached says less than the actual alert: it
-- is not sent. Each later threshold of a kind escalates from the one below it.
candidates as (
    select
        *,
        {{ array_length(array_filter('crossed_thresholds', 't', 't <= threshold_pct')) }} as escalation_level,
        {{ array_max(array_filter('crossed_thresholds', 't', 't < threshold_pct')) }} as escalated_from_pct
    from crossings
    where
        alert_kind = 'actual'
        or not (
            coalesce(actual_pct >= threshold_pct, false)
            or {{ array_contains('crossed_actual_thresholds', 'threshold_pct') }}
        )
),

-- Several thresholds of a kind reached at once make one message, for the highest: the lower ones
-- are news no more. (Thresholds crossed one build at a time still alert one by one: the ledger
-- records each key once.)
highest as (
    select
        *,
        max(threshold_pct) over (partition by budget_name, billing_period, billing_currency, alert_kind) as highest_pct
    from candidates
),

due as (
    select * from highest
    where threshold_pct = highest_pct
),

-- The models (for a model budget: the categories) with the most spend in the budget's scope, on
-- its cost basis and in its currency.
driver_costs as (
    select
        open_projections.budget_name,
        open_projections.billing_period,
        open_projections.billing_currency,
        open_projections.actual_cost,
        case when open_projections.scope_type = 'model' then costs.category else costs.model_name end as driver_name,
        sum(
            case when open_projections.cost_basis = 'billed' then costs.billed_cost else costs.effective_cost end
        ) filter (where costs.billing_period = open_projections.billing_period) as driver_cost,
        -- The month before over the same days, so a month in progress is compared like with like.
        coalesce(sum(
            case when open_projections.cost_basis = 'billed' then costs.billed_cost else costs.effective_cost end
        ) filter (
            where
            costs.billing_period < open_projections.billing_period
            and costs.usage_date
            <= costs.billing_period
            + cast({{ datetime_diff('day', 'open_projections.billing_period', 'open_projections.data_through_date') }} as integer)
        ), 0) as previous_cost
    from open_projections
    inner join costs
        on
            costs.billing_period in (
                open_projections.billing_period, cast(open_projections.billing_period - interval '1' month as date)
            )
            and open_projections.billing_currency = costs.billing_currency
            and {{ budget_scope_matches('open_projections', 'costs') }}
    group by
        open_projections.budget_name, open_projections.billing_period, open_projections.billing_currency,
        open_projections.actual_cost,
        case when open_projections.scope_type = 'model' then costs.category else costs.model_name end
),

ranked_drivers as (
    select
        *,
        row_number() over (
            partition by budget_name, billing_period, billing_currency
            order by driver_cost desc, driver_name asc
        ) as driver_rank
    from driver_costs
    where driver_cost > 0
),

top_drivers as (
    select
        budget_name,
        billing_period,
        billing_currency,
        {{ ordered_array_agg(struct_of(driver_fields), ['driver_rank']) }} as top_drivers
    from ranked_drivers
    where driver_rank <= 3
    group by budget_name, billing_period, billing_currency
),

final as (
    select
        -- The ledger key: an alert is sent once per budget, month, kind and threshold. The currency
        -- is appended only when the budget's month bills in several, so keys stay those of earlier
        -- releases and an upgrade never sends an alert again.
        'budget:' || due.budget_name || ':' || {{ format_date('due.billing_period', '%Y-%m') }} || ':'
        || due.alert_kind || ':' || {{ number_text('due.threshold_pct') }}
        || case
            when
                min(due.billing_currency) over (partition by due.budget_name, due.billing_period)
                <> max(due.billing_currency) over (partition by due.budget_name, due.billing_period)
                then ':' || due.billing_currency
            else ''
        end as alert_key,
        due.budget_name,
        due.scope_type,
        due.scope_value,
        due.cost_basis,
        due.billing_period,
        due.billing_currency,
        due.alert_kind,
        due.threshold_pct,
        due.escalation_level,
        due.escalated_from_pct,
        case when due.alert_kind = 'actual' and due.threshold_pct >= 100 then 'critical' else 'warning' end
            as severity,
        due.budget_amount,
        due.actual_cost,
        due.actual_pct,
        due.projected_cost,
        due.projected_low,
        due.projected_high,
        due.projected_pct,
        due.data_through_date,
        case when due.scope_type = 'model' then 'categories' else 'models' end as drivers_label,
        coalesce(
            top_drivers.top_drivers,
            {{ empty_array(struct_type(driver_fields)) }}
        ) as top_drivers,
        due.as_of_date,
        due.is_final_figure,
        -- News while its month is open (or, for a final figure, while its late days arrive): a
        -- pending alert not sent by then is not sent.
        case
            when due.is_final_figure then {{ add_days(month_end('due.billing_period'), closing_days) }}
            else {{ month_end('due.billing_period') }}
        end as due_until_date
    from due
    left join top_drivers
        on
            due.budget_name = top_drivers.budget_name
            and due.billing_period = top_drivers.billing_period
            and due.billing_currency = top_drivers.billing_currency
)

select * from final
