-- One row per billing period, account, region, currency, model and instance type whose on-demand
-- training cost (instance lines of training jobs, monthly) reached
-- `recommendations_spot_min_monthly_cost`: train with managed spot. Savings: that cost x the spot
-- saving this account actually gets, 1 - cost / on-demand equivalent over its own managed spot
-- jobs on the bill (training_job_costs, every period, per currency), else
-- `recommendations_spot_default_discount_pct`.
{%- set min_cost = number_var('recommendations_spot_min_monthly_cost', 'RECOMMENDATIONS_SPOT_MIN_MONTHLY_COST') %}
{%- set default_discount = number_var('recommendations_spot_default_discount_pct', 'RECOMMENDATIONS_SPOT_DEFAULT_DISCOUNT_PCT') %}
with

costs as (
    select * from {{ ref('cost_attribution') }}
),

jobs as (
    select * from {{ ref('training_job_costs') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
    where data_through_date >= billing_period
),

own_spot as (
    select
        billing_currency,
        count(*) as spot_jobs,
        1 - sum(cost) / sum(on_demand_equivalent_cost) as spot_discount
    from jobs
    where is_managed_spot and cost_source = 'bill' and on_demand_equivalent_cost > 0
    group by billing_currency
),

on_demand as (
    select
        costs.billing_period,
        costs.billing_currency,
        costs.resource_account_id as account_id,
        costs.resource_region as region,
        costs.model_name,
        costs.instance_type,
        {{ owner_by_cost('team', 'costs.effective_cost', 'costs.') }} as team,
        {{ owner_by_cost('project', 'costs.effective_cost', 'costs.') }} as project,
        count(distinct costs.resource_id) as jobs,
        sum(costs.effective_cost) as current_cost,
        sum(costs.usage_quantity) as instance_hours,
        any_value({{ datetime_diff('day', 'periods.billing_period', 'periods.data_through_date') }} + 1) as window_days,
        any_value(periods.days_in_period) as days_in_period
    from costs
    inner join periods
        on costs.billing_period = periods.billing_period and costs.usage_date <= periods.data_through_date
    where
        costs.sagemaker_resource_type = 'training-job'
        and costs.category = 'training'
        and costs.pricing_model = 'on_demand'
        and {{ sagemaker_price_kind('costs.usage_type') }} = 'training'
    group by
        costs.billing_period, costs.billing_currency, costs.resource_account_id, costs.resource_region,
        costs.model_name, costs.instance_type
),

priced as (
    select
        on_demand.*,
        {{ monthly_amount('on_demand.current_cost', 'on_demand.window_days', 'on_demand.days_in_period') }} as current_monthly_cost,
        coalesce(own_spot.spot_discount, {{ default_discount }} / 100.0) as spot_discount,
        own_spot.spot_jobs
    from on_demand
    left join own_spot on on_demand.billing_currency = own_spot.billing_currency
),

final as (
    select
        billing_period,
        billing_currency,
        'managed_spot_training' as recommendation_type,
        account_id,
        region,
        cast(null as {{ dbt.type_string() }}) as resource_id,
        model_name || ' training on ' || instance_type as resource_name,
        model_name || '|' || instance_type as finding_detail,
        model_name,
        team,
        project,
        jobs || ' on-demand training jobs, ' || {{ format_number('instance_hours', 1) }} || ' instance hours of '
        || instance_type || ' this period' as evidence,
        current_cost,
        current_monthly_cost,
        cast(current_monthly_cost * spot_discount as decimal(38, 10)) as estimated_monthly_savings,
        case
            when spot_jobs is not null
                then
                    'bill: this account''s managed spot saving, ' || {{ format_number('100 * spot_discount', 1) }}
                    || '% over its ' || spot_jobs || ' spot training jobs'
            else 'default: {{ default_discount }}% spot saving (RECOMMENDATIONS_SPOT_DEFAULT_DISCOUNT_PCT); the bill has no managed spot training'
        end as savings_basis,
        case when spot_jobs is not null then 'medium' else 'low' end as confidence,
        'Train ' || case when model_name = 'unattributed' then 'these jobs' else model_name end || ' with managed spot (EnableManagedSpotTraining, checkpoints to S3) on '
        || instance_type || '.' as action
    from priced
    where current_monthly_cost >= {{ min_cost }}
)

select * from final
