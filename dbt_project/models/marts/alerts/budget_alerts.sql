-- One row per budget alert that is due: a threshold of a budget that spend so far (actual) or the
-- projection for the month (forecast) has reached, in the billing period that contains "today".
-- This file is the whole rule for when a budget alert fires; marts.budget_projection supplies the
-- amounts and the thresholds they reached. The alerts/ledger asset records each row once (by
-- alert_key) and the alert delivery sensor sends it.

{#- "Today" is the UTC date of the build unless the var as_of_date (YYYY-MM-DD) replays another day (unit tests). -#}
{%- set as_of_date = var('as_of_date', none) %}
{%- if as_of_date and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of_date | string) %}
    {{ exceptions.raise_compiler_error("dbt var as_of_date must be a date YYYY-MM-DD, not '" ~ as_of_date ~ "'") }}
{%- endif %}

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
            cast(timezone('UTC', now()) as date)
        {%- endif %} as as_of_date
),

-- Only the open month alerts: the billing period that contains as_of_date. Earlier periods are
-- closed, so loading old exports (a backfill) or a restated month never pages anyone.
open_projections as (
    select
        projections.*,
        as_of.as_of_date
    from projections
    cross join as_of
    where projections.billing_period = cast(date_trunc('month', as_of.as_of_date) as date)
),

-- One candidate per threshold reached, of either kind.
crossings as (
    select
        *,
        'actual' as alert_kind,
        crossed_actual_thresholds as crossed_thresholds,
        unnest(crossed_actual_thresholds) as threshold_pct
    from open_projections
    union all
    select
        *,
        'forecast' as alert_kind,
        crossed_forecast_thresholds as crossed_thresholds,
        unnest(crossed_forecast_thresholds) as threshold_pct
    from open_projections
),

-- A forecast of a threshold that spend has already reached says less than the actual alert: it
-- is not sent. Each later threshold of a kind escalates from the one below it.
due as (
    select
        *,
        len(list_filter(crossed_thresholds, lambda t: t <= threshold_pct)) as escalation_level,
        list_max(list_filter(crossed_thresholds, lambda t: t < threshold_pct)) as escalated_from_pct
    from crossings
    where
        alert_kind = 'actual'
        or not (
            coalesce(actual_pct >= threshold_pct, false)
            or list_contains(crossed_actual_thresholds, threshold_pct)
        )
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
        ) as driver_cost
    from open_projections
    inner join costs
        on
            open_projections.billing_period = costs.billing_period
            and open_projections.billing_currency = costs.billing_currency
            and {{ budget_scope_matches('open_projections', 'costs') }}
    group by all
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
        list(
            struct_pack(
                name := driver_name,
                cost := cast(driver_cost as decimal(38, 10)),
                share_pct := cast(round(100 * driver_cost / nullif(actual_cost, 0), 1) as double)
            )
            order by driver_rank
        ) as top_drivers
    from ranked_drivers
    where driver_rank <= 3
    group by budget_name, billing_period, billing_currency
),

final as (
    select
        -- The ledger key: an alert is sent once per budget, month, kind and threshold. The currency
        -- is appended only when the budget's month bills in several, so keys stay those of earlier
        -- releases and an upgrade never sends an alert again.
        'budget:' || due.budget_name || ':' || strftime(due.billing_period, '%Y-%m') || ':'
        || due.alert_kind || ':' || printf('%g', due.threshold_pct)
        || case
            when count(distinct due.billing_currency) over (partition by due.budget_name, due.billing_period) > 1
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
            cast([] as struct(name varchar, cost decimal(38, 10), share_pct double)[])
        ) as top_drivers,
        due.as_of_date,
        -- News while its month is open: a pending alert not sent by the month's end is not sent.
        cast(last_day(due.billing_period) as date) as due_until_date
    from due
    left join top_drivers
        on
            due.budget_name = top_drivers.budget_name
            and due.billing_period = top_drivers.billing_period
            and due.billing_currency = top_drivers.billing_currency
)

select * from final
