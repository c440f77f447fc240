-- One row per billing period, account, region and currency with at least
-- `recommendations_mme_min_endpoints` real-time endpoints that each serve one model, serve some but
-- fewer than `recommendations_low_traffic_per_instance_hour` invocations per instance hour (one that
-- served none is idle, not low-traffic: idle_endpoint), and were still
-- billed on the period's last complete day: host their models on one multi-model endpoint. Savings:
-- their monthly cost minus that of the costliest of them (its instances are kept for all the models).
{%- set low_traffic = number_var('recommendations_low_traffic_per_instance_hour', 'RECOMMENDATIONS_LOW_TRAFFIC_PER_INSTANCE_HOUR') %}
{%- set min_endpoints = number_var('recommendations_mme_min_endpoints', 'RECOMMENDATIONS_MME_MIN_ENDPOINTS', whole=true) %}
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
        max_by(costs.model_name, costs.effective_cost) as model_name,
        max_by(costs.team, costs.effective_cost) as team,
        max_by(costs.project, costs.effective_cost) as project,
        sum(costs.effective_cost) as current_cost,
        sum(costs.usage_quantity) filter (where {{ sagemaker_price_kind('costs.usage_type') }} = 'hosting') as instance_hours,
        -- Asynchronous endpoints queue requests and cannot join a multi-model endpoint.
        bool_or(lower(costs.usage_type) like '%asyncinf%' or lower(costs.usage_type) like '%serverlessinf%') as is_not_real_time,
        count(distinct costs.usage_date) as billed_days,
        max(costs.usage_date) as last_billed_date,
        any_value(periods.data_through_date) as data_through_date,
        any_value(periods.days_in_period) as days_in_period
    from costs
    inner join periods
        on costs.billing_period = periods.billing_period and costs.usage_date <= periods.data_through_date
    where costs.sagemaker_resource_type = 'endpoint' and costs.category = 'inference' and costs.endpoint_name is not null
    group by
        costs.billing_period, costs.billing_currency, costs.resource_account_id, costs.resource_region,
        costs.endpoint_name
),

served as (
    select
        periods.billing_period,
        predictions.account_id,
        predictions.region,
        predictions.endpoint_name,
        sum(predictions.predictions) as invocations,
        count(distinct predictions.model_name) as models
    from predictions
    inner join periods
        on predictions.usage_date between periods.billing_period and periods.data_through_date
    where predictions.endpoint_name is not null
    group by periods.billing_period, predictions.account_id, predictions.region, predictions.endpoint_name
),

low_traffic as (
    select
        endpoint_costs.*,
        coalesce(served.invocations, 0) as invocations,
        coalesce(served.invocations, 0) / endpoint_costs.instance_hours as invocations_per_instance_hour,
        {{ monthly_amount('endpoint_costs.current_cost', 'endpoint_costs.billed_days', 'endpoint_costs.days_in_period') }} as current_monthly_cost
    from endpoint_costs
    left join served
        on
            endpoint_costs.billing_period = served.billing_period
            and endpoint_costs.account_id = served.account_id
            and endpoint_costs.region = served.region
            and endpoint_costs.endpoint_name = served.endpoint_name
    where
        not endpoint_costs.is_not_real_time
        and endpoint_costs.instance_hours > 0
        and endpoint_costs.last_billed_date = endpoint_costs.data_through_date
        and served.models = 1
        and served.invocations > 0
        and served.invocations / endpoint_costs.instance_hours < {{ low_traffic }}
),

groups as (
    select
        billing_period,
        billing_currency,
        account_id,
        region,
        {{ ordered_string_agg('endpoint_name', "', '", 'endpoint_name') }} as endpoint_names,
        {{ ordered_string_agg('model_name', "', '", 'model_name', distinct=true) }} as model_names,
        {{ ordered_string_agg('team', "', '", 'team', distinct=true) }} as teams,
        {{ ordered_string_agg('project', "', '", 'project', distinct=true) }} as projects,
        {{ ordered_string_agg(
            "endpoint_name || ' ' || " ~ format_number('invocations_per_instance_hour', 0) ~ " || '/instance-hour'",
            "', '",
            'endpoint_name'
        ) }} as traffic,
        count(*) as endpoints,
        sum(current_cost) as current_cost,
        sum(current_monthly_cost) as current_monthly_cost,
        max(current_monthly_cost) as kept_monthly_cost
    from low_traffic
    group by billing_period, billing_currency, account_id, region
    having count(*) >= {{ min_endpoints }}
),

final as (
    select
        billing_period,
        billing_currency,
        'multi_model_endpoint' as recommendation_type,
        account_id,
        region,
        cast(null as {{ dbt.type_string() }}) as resource_id,
        endpoint_names as resource_name,
        '' as finding_detail,
        model_names as model_name,
        teams as team,
        projects as project,
        endpoints || ' single-model endpoints below {{ low_traffic }} invocations per instance hour: ' || traffic as evidence,
        current_cost,
        current_monthly_cost,
        current_monthly_cost - kept_monthly_cost as estimated_monthly_savings,
        'bill: the endpoints'' own cost, keeping the costliest endpoint''s instances' as savings_basis,
        'medium' as confidence,
        'Host the models of ' || endpoint_names || ' on one multi-model endpoint (or inference components) '
        || 'and delete the others.' as action
    from groups
)

select * from final
