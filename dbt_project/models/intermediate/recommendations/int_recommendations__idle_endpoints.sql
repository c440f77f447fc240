-- One row per billing period and endpoint instance (account, region, currency) that was still
-- billed for instances on the period's last complete day but served no invocation in its last
-- `recommendations_idle_endpoint_days` days (and had been billed that long): delete it, or let
-- auto-scaling take it to zero. Confidence is high when its invocations were counted (as zero) in
-- those days, medium when nothing was counted for it (a gap in the data looks the same). Saves everything it costs. Serverless endpoints bill only what they
-- serve and are never idle.
{%- set idle_days = number_var('recommendations_idle_endpoint_days', 'RECOMMENDATIONS_IDLE_ENDPOINT_DAYS', whole=true) %}
with

costs as (
    select * from {{ ref('cost_attribution') }}
),

predictions as (
    select * from {{ ref('int_predictions__hourly') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
    where data_through_date >= billing_period
),

endpoint_costs as (
    select
        costs.billing_period,
        costs.billing_currency,
        costs.resource_account_id as account_id,
        costs.resource_region as region,
        costs.endpoint_name,
        any_value(costs.resource_id) as resource_id,
        max_by(costs.model_name, costs.effective_cost) as model_name,
        max_by(costs.team, costs.effective_cost) as team,
        max_by(costs.project, costs.effective_cost) as project,
        sum(costs.effective_cost) as current_cost,
        count(distinct costs.usage_date) as billed_days,
        max(costs.usage_date) as last_billed_date,
        any_value(periods.data_through_date) as data_through_date,
        any_value(periods.days_in_period) as days_in_period
    from costs
    inner join periods
        on costs.billing_period = periods.billing_period and costs.usage_date <= periods.data_through_date
    where
        costs.sagemaker_resource_type = 'endpoint'
        and costs.category = 'inference'
        and costs.endpoint_name is not null
        and lower(costs.usage_type) not like '%serverlessinf%'
    group by
        costs.billing_period, costs.billing_currency, costs.resource_account_id, costs.resource_region,
        costs.endpoint_name
),

-- Billed since: across periods, so the first days of a month still see an endpoint idle since the last.
first_billed as (
    select
        billing_currency,
        resource_account_id as account_id,
        resource_region as region,
        endpoint_name,
        min(usage_date) as first_billed_date
    from costs
    where sagemaker_resource_type = 'endpoint' and category = 'inference' and endpoint_name is not null
    group by billing_currency, resource_account_id, resource_region, endpoint_name
),

-- Invocations in the last N days of each period's data (zero when nothing was counted).
recent as (
    select
        endpoint_costs.billing_period,
        endpoint_costs.billing_currency,
        endpoint_costs.account_id,
        endpoint_costs.region,
        endpoint_costs.endpoint_name,
        coalesce(sum(predictions.predictions), 0) as recent_invocations,
        -- Hours with a count (0 included): the endpoint's traffic was measured, not missing.
        count(predictions.hour_start_at) as measured_hours,
        max(predictions.usage_date) filter (where predictions.predictions > 0) as last_invocation_date
    from endpoint_costs
    left join predictions
        on
            endpoint_costs.endpoint_name = predictions.endpoint_name
            and endpoint_costs.account_id = predictions.account_id
            and endpoint_costs.region = predictions.region
            and predictions.usage_date > {{ add_days('endpoint_costs.data_through_date', '-' ~ idle_days) }}
            and endpoint_costs.data_through_date >= predictions.usage_date
    group by
        endpoint_costs.billing_period, endpoint_costs.billing_currency, endpoint_costs.account_id,
        endpoint_costs.region, endpoint_costs.endpoint_name
),

idle as (
    select
        endpoint_costs.*,
        recent.recent_invocations,
        recent.measured_hours,
        first_billed.first_billed_date,
        {{ monthly_amount('endpoint_costs.current_cost', 'endpoint_costs.billed_days', 'endpoint_costs.days_in_period') }} as current_monthly_cost
    from endpoint_costs
    inner join recent
        on
            endpoint_costs.billing_period = recent.billing_period
            and endpoint_costs.billing_currency = recent.billing_currency
            and endpoint_costs.account_id = recent.account_id
            and endpoint_costs.region = recent.region
            and endpoint_costs.endpoint_name = recent.endpoint_name
    inner join first_billed
        on
            endpoint_costs.billing_currency = first_billed.billing_currency
            and endpoint_costs.account_id = first_billed.account_id
            and endpoint_costs.region = first_billed.region
            and endpoint_costs.endpoint_name = first_billed.endpoint_name
    where
        endpoint_costs.last_billed_date = endpoint_costs.data_through_date
        and first_billed.first_billed_date <= {{ add_days('endpoint_costs.data_through_date', '1 - ' ~ idle_days) }}
        and recent.recent_invocations = 0
),

final as (
    select
        billing_period,
        billing_currency,
        'idle_endpoint' as recommendation_type,
        account_id,
        region,
        resource_id,
        endpoint_name as resource_name,
        '' as finding_detail,
        model_name,
        team,
        project,
        'no invocations in the last {{ idle_days }} days to ' || cast(data_through_date as {{ dbt.type_string() }})
        || case when measured_hours > 0 then ' (' || measured_hours || ' hours counted)' else ' (no count for it: check that its invocations are ingested)' end
        || '; billed ' || billed_days || ' days this period' as evidence,
        current_cost,
        current_monthly_cost,
        current_monthly_cost as estimated_monthly_savings,
        'bill: the endpoint''s own cost' as savings_basis,
        -- Zero counted is evidence; nothing counted may be a gap in the invocation data.
        case when measured_hours > 0 then 'high' else 'medium' end as confidence,
        'Delete endpoint ' || endpoint_name || ' (or let auto-scaling scale it to zero instances): it served nothing in '
        || '{{ idle_days }} days.' as action
    from idle
)

select * from final
