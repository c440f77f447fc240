-- One row per billing period, billing account and currency whose steady on-demand SageMaker
-- instance spend (the lowest day of the period's complete days, per hour; a day without any is 0)
-- reached `recommendations_savings_plan_min_hourly`: commit to a SageMaker Savings Plan for that
-- usage. Commitment per hour: the steady on-demand spend x (1 - discount). Savings: the steady
-- spend x discount x the period's hours. The discount is the one this account's own Savings Plans
-- give its SageMaker usage (1 - effective / public on-demand cost of covered lines, every period),
-- else `recommendations_savings_plan_default_discount_pct`. Commitments apply across the
-- organization's accounts, so the finding is per billing (payer) account.
{%- set min_hourly = number_var('recommendations_savings_plan_min_hourly', 'RECOMMENDATIONS_SAVINGS_PLAN_MIN_HOURLY') %}
{%- set default_discount = number_var('recommendations_savings_plan_default_discount_pct', 'RECOMMENDATIONS_SAVINGS_PLAN_DEFAULT_DISCOUNT_PCT') %}
with

costs as (
    select * from {{ ref('cost_attribution') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
    where data_through_date >= billing_period
),

own_plans as (
    select
        billing_currency,
        1 - sum(effective_cost) / sum(list_cost) as plan_discount
    from costs
    where service_code = 'AmazonSageMaker' and pricing_model = 'savings_plan' and list_cost > 0
    group by billing_currency
),

on_demand_days as (
    select
        costs.billing_period,
        costs.billing_currency,
        costs.billing_account_id,
        costs.usage_date,
        sum(costs.effective_cost) as cost
    from costs
    inner join periods
        on costs.billing_period = periods.billing_period and costs.usage_date <= periods.data_through_date
    where
        costs.service_code = 'AmazonSageMaker'
        and costs.pricing_model = 'on_demand'
        and costs.instance_type is not null
        and {{ sagemaker_price_kind('costs.usage_type') }} is not null
    group by costs.billing_period, costs.billing_currency, costs.billing_account_id, costs.usage_date
),

accounts as (
    select
        on_demand_days.billing_period,
        on_demand_days.billing_currency,
        on_demand_days.billing_account_id,
        sum(on_demand_days.cost) as current_cost,
        count(*) as days_with_cost,
        min(on_demand_days.cost) as lowest_day_cost,
        any_value({{ datetime_diff('day', 'periods.billing_period', 'periods.data_through_date') }} + 1) as window_days,
        any_value(periods.days_in_period) as days_in_period
    from on_demand_days
    inner join periods on on_demand_days.billing_period = periods.billing_period
    group by on_demand_days.billing_period, on_demand_days.billing_currency, on_demand_days.billing_account_id
),

steady as (
    select
        accounts.*,
        -- A day of the window without on-demand usage makes the steady spend 0.
        case
            when accounts.days_with_cost < accounts.window_days then 0 else accounts.lowest_day_cost / 24
        end as steady_hourly,
        coalesce(own_plans.plan_discount, {{ default_discount }} / 100.0) as plan_discount,
        own_plans.plan_discount is not null as is_own_discount,
        {{ monthly_amount('accounts.current_cost', 'accounts.window_days', 'accounts.days_in_period') }} as current_monthly_cost
    from accounts
    left join own_plans on accounts.billing_currency = own_plans.billing_currency
),

final as (
    select
        billing_period,
        billing_currency,
        'savings_plan' as recommendation_type,
        billing_account_id as account_id,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as resource_id,
        'SageMaker on-demand usage of billing account ' || billing_account_id as resource_name,
        '' as finding_detail,
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as project,
        'on-demand SageMaker instances never below ' || {{ money_text('steady_hourly') }} || '/hour on '
        || window_days || ' days (threshold $' || '{{ min_hourly }}' || '/hour)' as evidence,
        current_cost,
        current_monthly_cost,
        cast(steady_hourly * plan_discount * 24 * days_in_period as decimal(38, 10)) as estimated_monthly_savings,
        case
            when is_own_discount
                then 'bill: this account''s Savings Plan discount on SageMaker, ' || {{ format_number('100 * plan_discount', 1) }} || '%'
            else 'default: {{ default_discount }}% Savings Plan discount (RECOMMENDATIONS_SAVINGS_PLAN_DEFAULT_DISCOUNT_PCT)'
        end as savings_basis,
        case when is_own_discount then 'medium' else 'low' end as confidence,
        'Buy a SageMaker Savings Plan of ' || {{ money_text('steady_hourly * (1 - plan_discount)') }}
        || '/hour (covers ' || {{ money_text('steady_hourly') }} || '/hour of on-demand usage).' as action
    from steady
    where steady_hourly >= {{ min_hourly }}
)

select * from final
