-- One row per billing period and notebook instance or Studio app (account, region, currency) that
-- ran at least `recommendations_notebook_idle_hours` hours without a stop (consecutive days billed
-- 24 instance hours or more) and was still billed on the period's last complete day: add an
-- idle auto-stop (lifecycle configuration / Studio idle shutdown). The bill shows how long it ran,
-- not whether anyone used it, so the saving assumes someone works in it
-- `recommendations_notebook_active_hours_per_week` hours a week: the monthly instance cost of its
-- round-the-clock days x (1 - active hours / 168). Its storage is billed stopped or not.
{%- set idle_hours = number_var('recommendations_notebook_idle_hours', 'RECOMMENDATIONS_NOTEBOOK_IDLE_HOURS') %}
{%- set active_hours = number_var('recommendations_notebook_active_hours_per_week', 'RECOMMENDATIONS_NOTEBOOK_ACTIVE_HOURS_PER_WEEK') %}
with

costs as (
    select * from {{ ref('cost_attribution') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
    where data_through_date >= billing_period
),

days as (
    select
        costs.billing_period,
        costs.billing_currency,
        costs.resource_account_id as account_id,
        costs.resource_region as region,
        costs.resource_id,
        costs.usage_date,
        any_value(costs.sagemaker_resource_type) as resource_type,
        -- A Studio app is named by its path (domain/user or space/type/name), not its domain alone.
        any_value(
            case
                when costs.sagemaker_resource_type = 'app' then {{ regex_extract('costs.resource_id', "':app/(.+)$'", 1) }}
                else costs.sagemaker_resource_name
            end
        ) as resource_name,
        any_value(costs.instance_type) as instance_type,
        {{ owner_by_cost('model_name', 'costs.effective_cost', 'costs.') }} as model_name,
        {{ owner_by_cost('team', 'costs.effective_cost', 'costs.') }} as team,
        {{ owner_by_cost('project', 'costs.effective_cost', 'costs.') }} as project,
        sum(costs.usage_quantity) as instance_hours,
        sum(costs.effective_cost) as cost,
        any_value(periods.data_through_date) as data_through_date,
        any_value(periods.days_in_period) as days_in_period
    from costs
    inner join periods
        on costs.billing_period = periods.billing_period and costs.usage_date <= periods.data_through_date
    where costs.category = 'notebook' and {{ sagemaker_price_kind('costs.usage_type') }} = 'notebook'
    group by
        costs.billing_period, costs.billing_currency, costs.resource_account_id, costs.resource_region,
        costs.resource_id, costs.usage_date
),

-- Consecutive round-the-clock days share an island (their date minus their rank).
islands as (
    select
        *,
        instance_hours >= 24 as is_full_day,
        {{ add_days('usage_date', '-cast(row_number() over (
            partition by billing_period, billing_currency, account_id, region, resource_id, instance_hours >= 24
            order by usage_date
        ) as integer)') }} as island
    from days
),

streaks as (
    select
        billing_period,
        billing_currency,
        account_id,
        region,
        resource_id,
        island,
        count(*) as streak_days
    from islands
    where is_full_day
    group by billing_period, billing_currency, account_id, region, resource_id, island
),

resources as (
    select
        billing_period,
        billing_currency,
        account_id,
        region,
        resource_id,
        any_value(resource_type) as resource_type,
        any_value(resource_name) as resource_name,
        any_value(instance_type) as instance_type,
        {{ owner_by_cost('model_name', 'cost') }} as model_name,
        {{ owner_by_cost('team', 'cost') }} as team,
        {{ owner_by_cost('project', 'cost') }} as project,
        sum(cost) as current_cost,
        sum(cost) filter (where is_full_day) as full_day_cost,
        count(*) as billed_days,
        max(usage_date) as last_billed_date,
        any_value(data_through_date) as data_through_date,
        any_value(days_in_period) as days_in_period
    from islands
    group by billing_period, billing_currency, account_id, region, resource_id
),

longest_runs as (
    select
        billing_period,
        billing_currency,
        account_id,
        region,
        resource_id,
        max(streak_days) * 24 as longest_run_hours
    from streaks
    group by billing_period, billing_currency, account_id, region, resource_id
),

flagged as (
    select
        resources.*,
        longest_runs.longest_run_hours,
        {{ monthly_amount('resources.current_cost', 'resources.billed_days', 'resources.days_in_period') }} as current_monthly_cost,
        {{ monthly_amount('resources.full_day_cost', 'resources.billed_days', 'resources.days_in_period') }} as full_day_monthly_cost
    from resources
    inner join longest_runs
        on
            resources.billing_period = longest_runs.billing_period
            and resources.billing_currency = longest_runs.billing_currency
            and resources.account_id = longest_runs.account_id
            and resources.region = longest_runs.region
            and resources.resource_id = longest_runs.resource_id
    where
        resources.last_billed_date = resources.data_through_date
        and longest_runs.longest_run_hours >= {{ idle_hours }}
),

final as (
    select
        billing_period,
        billing_currency,
        'idle_notebook' as recommendation_type,
        account_id,
        region,
        resource_id,
        coalesce(resource_name, resource_id) as resource_name,
        '' as finding_detail,
        model_name,
        team,
        project,
        instance_type || ' ran ' || longest_run_hours || ' hours without a stop (threshold {{ idle_hours }} hours)' as evidence,
        current_cost,
        current_monthly_cost,
        cast(full_day_monthly_cost * (1 - least({{ active_hours }}, 168) / 168.0) as decimal(38, 10)) as estimated_monthly_savings,
        'bill: its own instance cost on round-the-clock days, less {{ active_hours }} active hours a week (RECOMMENDATIONS_NOTEBOOK_ACTIVE_HOURS_PER_WEEK)' as savings_basis,
        'low' as confidence,
        case
            when resource_type = 'notebook-instance'
                then 'Attach an idle auto-stop lifecycle configuration to notebook instance ' || resource_name || '.'
            else 'Turn on idle shutdown for Studio app ' || coalesce(resource_name, resource_id) || ' (domain or space setting).'
        end as action
    from flagged
)

select * from final
