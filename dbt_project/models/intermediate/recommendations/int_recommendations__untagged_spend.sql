-- One row per billing period, currency, account and resource whose cost without a model or team
-- tag on the bill reached `recommendations_untagged_min_monthly_cost` a month (marts.tag_coverage):
-- tag it, or activate its tag keys as cost allocation tags when the resource already carries them.
-- Tagging saves nothing by itself: estimated_monthly_savings is NULL, with the reason in
-- savings_basis; it makes the cost attributable so the other rules can name an owner.
{%- set min_cost = number_var('recommendations_untagged_min_monthly_cost', 'RECOMMENDATIONS_UNTAGGED_MIN_MONTHLY_COST') %}
with

coverage as (
    select * from {{ ref('tag_coverage') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
    where data_through_date >= billing_period
),

untagged as (
    select
        coverage.*,
        -- An ARN's resource part (`notebook-instance/scratch-gpu-3`); other IDs as they are.
        case when coverage.resource_id like 'arn:%' then split_part(coverage.resource_id, ':', 6) else coverage.resource_id end as short_name,
        {{ monthly_amount('coverage.untagged_cost', datetime_diff('day', 'periods.billing_period', 'periods.data_through_date') ~ ' + 1', 'periods.days_in_period') }} as current_monthly_cost
    from coverage
    inner join periods on coverage.billing_period = periods.billing_period
    -- Lines without a resource ID (tax, support, fees) cannot carry a tag.
    where coverage.resource_id is not null and coverage.untagged_cost > 0
),

final as (
    select
        billing_period,
        billing_currency,
        'untagged_spend' as recommendation_type,
        sub_account_id as account_id,
        cast(null as {{ dbt.type_string() }}) as region,
        resource_id,
        short_name as resource_name,
        '' as finding_detail,
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as project,
        service_name || ': ' || {{ money_text('untagged_cost') }} || ' this period without a model or team tag on the bill ('
        || {{ format_number('untagged_pct', 0) }} || '% of its cost; rank ' || untagged_rank || ' in marts.tag_coverage)' as evidence,
        untagged_cost as current_cost,
        current_monthly_cost,
        cast(null as decimal(38, 10)) as estimated_monthly_savings,
        'none: tagging saves nothing by itself; it makes the cost attributable' as savings_basis,
        'high' as confidence,
        case
            when has_resource_tags_not_on_bill
                then 'Activate the tag keys ' || short_name || ' already carries as cost allocation tags (see marts.tag_coverage).'
            else 'Tag ' || short_name || ' with its model and team (see marts.tag_coverage).'
        end as action
    from untagged
    where current_monthly_cost >= {{ min_cost }}
)

select * from final
