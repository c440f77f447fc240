-- One row per billing period, endpoint (account, region, currency) and instance type whose hourly
-- GPU (else CPU) utilization had a p95 below `recommendations_underused_p95_pct` over the period's
-- measured hours, and still billed on the period's last complete day. The action is the cheapest
-- instance type of the same family (hosting rate from the bill, else the price list) whose
-- capacity keeps the p95 at or below `recommendations_underused_target_pct`; when no smaller type
-- fits, fewer instances (when there are several). Savings: the monthly cost of those instance
-- hours x (1 - new rate / current rate), or x (instances removed / instances).
{%- set p95_pct = number_var('recommendations_underused_p95_pct', 'RECOMMENDATIONS_UNDERUSED_P95_PCT') %}
{%- set target_pct = number_var('recommendations_underused_target_pct', 'RECOMMENDATIONS_UNDERUSED_TARGET_PCT') %}
with

costs as (
    select * from {{ ref('cost_attribution') }}
),

utilization as (
    select * from {{ ref('int_endpoint_utilization__hourly') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
    where data_through_date >= billing_period
),

rates as (
    select * from {{ ref('int_recommendations__instance_rates') }}
),

endpoint_costs as (
    select
        costs.billing_period,
        costs.billing_currency,
        costs.resource_account_id as account_id,
        costs.resource_region as region,
        costs.endpoint_name,
        costs.instance_type,
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
        and {{ sagemaker_price_kind('costs.usage_type') }} = 'hosting'
    group by
        costs.billing_period, costs.billing_currency, costs.resource_account_id, costs.resource_region,
        costs.endpoint_name, costs.instance_type
),

-- p95 of the hourly utilization (0 to 1) of the endpoint's instances of one type in the period.
usage_p95 as (
    select
        periods.billing_period,
        utilization.account_id,
        utilization.region,
        utilization.endpoint_name,
        utilization.instance_type,
        any_value(utilization.utilization_metric) as utilization_metric,
        max(utilization.instance_count) as instance_count,
        count(*) as measured_hours,
        {{ percentile_cont('utilization.utilization', 0.95) }} as p95_utilization
    from utilization
    inner join periods
        on utilization.usage_date between periods.billing_period and periods.data_through_date
    where utilization.utilization is not null
    group by
        periods.billing_period, utilization.account_id, utilization.region, utilization.endpoint_name,
        utilization.instance_type
    -- A day of measurements at least, so a p95 means something.
    having count(*) >= 24
),

candidates as (
    select
        endpoint_costs.*,
        usage_p95.utilization_metric,
        usage_p95.instance_count,
        usage_p95.measured_hours,
        usage_p95.p95_utilization,
        current_rate.hourly_rate as current_rate,
        current_rate.rate_note as current_rate_note,
        current_rate.rate_source as current_rate_source,
        case
            when usage_p95.utilization_metric = 'GPUUtilization' then {{ instance_gpus('endpoint_costs.instance_type') }}
            else {{ instance_vcpus('endpoint_costs.instance_type') }}
        end as current_units,
        {{ monthly_amount('endpoint_costs.current_cost', 'endpoint_costs.billed_days', 'endpoint_costs.days_in_period') }} as current_monthly_cost
    from endpoint_costs
    inner join usage_p95
        on
            endpoint_costs.billing_period = usage_p95.billing_period
            and endpoint_costs.account_id = usage_p95.account_id
            and endpoint_costs.region = usage_p95.region
            and endpoint_costs.endpoint_name = usage_p95.endpoint_name
            and endpoint_costs.instance_type = usage_p95.instance_type
    left join rates as current_rate
        on
            endpoint_costs.region = current_rate.region
            and current_rate.price_kind = 'hosting'
            and endpoint_costs.instance_type = current_rate.instance_type
            and endpoint_costs.billing_currency = current_rate.billing_currency
    where
        endpoint_costs.last_billed_date = endpoint_costs.data_through_date
        and usage_p95.p95_utilization * 100 < {{ p95_pct }}
),

-- The cheapest priced type of the same family with the capacity for the p95 at the target.
smaller as (
    select
        candidates.billing_period,
        candidates.billing_currency,
        candidates.account_id,
        candidates.region,
        candidates.endpoint_name,
        candidates.instance_type,
        min_by(rates.instance_type, rates.hourly_rate) as smaller_instance_type,
        min(rates.hourly_rate) as smaller_rate,
        min_by(rates.rate_note, rates.hourly_rate) as smaller_rate_note,
        min_by(rates.rate_source, rates.hourly_rate) as smaller_rate_source
    from candidates
    inner join rates
        on
            candidates.region = rates.region
            and rates.price_kind = 'hosting'
            and candidates.billing_currency = rates.billing_currency
            and split_part(rates.instance_type, '.', 2) = split_part(candidates.instance_type, '.', 2)
            and candidates.current_rate > rates.hourly_rate
            and candidates.p95_utilization * candidates.current_units * 100 <= {{ target_pct }} * (
                case
                    when candidates.utilization_metric = 'GPUUtilization' then {{ instance_gpus('rates.instance_type') }}
                    else {{ instance_vcpus('rates.instance_type') }}
                end
            )
    group by
        candidates.billing_period, candidates.billing_currency, candidates.account_id, candidates.region,
        candidates.endpoint_name, candidates.instance_type
),

sized as (
    select
        candidates.*,
        smaller.smaller_instance_type,
        smaller.smaller_rate,
        smaller.smaller_rate_note,
        smaller.smaller_rate_source,
        -- Fewer instances: as many as keep the p95 at the target, at least one.
        greatest(1, cast(ceil(candidates.p95_utilization * candidates.instance_count * 100 / {{ target_pct }}) as integer)) as fewer_instances
    from candidates
    left join smaller
        on
            candidates.billing_period = smaller.billing_period
            and candidates.billing_currency = smaller.billing_currency
            and candidates.account_id = smaller.account_id
            and candidates.region = smaller.region
            and candidates.endpoint_name = smaller.endpoint_name
            and candidates.instance_type = smaller.instance_type
),

final as (
    select
        billing_period,
        billing_currency,
        'underused_endpoint' as recommendation_type,
        account_id,
        region,
        resource_id,
        endpoint_name as resource_name,
        instance_type as finding_detail,
        model_name,
        team,
        project,
        'p95 ' || replace(utilization_metric, 'Utilization', '') || ' utilization '
        || {{ format_number('100 * p95_utilization', 1) }} || '% (threshold {{ p95_pct }}%) over ' || measured_hours
        || ' measured hours on ' || instance_count || ' x ' || instance_type as evidence,
        current_cost,
        current_monthly_cost,
        case
            when smaller_instance_type is not null
                then cast(current_monthly_cost * (1 - smaller_rate / current_rate) as decimal(38, 10))
            else cast(current_monthly_cost * (instance_count - fewer_instances) / instance_count as decimal(38, 10))
        end as estimated_monthly_savings,
        case
            when smaller_instance_type is not null
                then
                    case when smaller_rate_source = 'bill' and current_rate_source = 'bill' then 'bill: ' else 'price_list: ' end
                    || current_rate_note || ' -> ' || smaller_rate_note
            else 'bill: the endpoint''s own cost per instance'
        end as savings_basis,
        'medium' as confidence,
        case
            when smaller_instance_type is not null
                then
                    'Move endpoint ' || endpoint_name || ' from ' || instance_type || ' to ' || smaller_instance_type
                    || ' (p95 stays at or below {{ target_pct }}%).'
            else
                'Run endpoint ' || endpoint_name || ' on ' || fewer_instances || ' instead of ' || instance_count
                || ' x ' || instance_type || ' (or let auto-scaling decide).'
        end as action
    from sized
    where smaller_instance_type is not null or fewer_instances < instance_count
)

select * from final
