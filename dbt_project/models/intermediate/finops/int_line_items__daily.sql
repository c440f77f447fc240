-- Line items summed per day and everything that attribution and classification read (resource,
-- usage type, line item type, tags), then classified and tag-attributed. Summing first makes the
-- tag lookups run once per resource and day instead of once per (hourly) line. A table, not a
-- view: cost_attribution and the tag-scoped budgets both read it, and re-reading the bill twice
-- doubled the build on a 5-million-line month.
{{ config(materialized='table') }}

with

line_items as (
    select * from {{ ref('stg_aws_cur__line_items') }}
),

tag_sets as (
    select * from {{ ref('stg_aws_cur__tag_sets') }}
),

aliases as (
    select * from {{ ref('int_tag_key_aliases__lists') }}
),

-- Split cost allocation rows repeat cost that is already on the bill: never count them.
-- Grouped by the lines' tag set id, an integer: their tags are joined once per summed row below. The
-- parts of a SageMaker ARN are derived after summing, once per resource and day (the resource ID
-- determines them).
summed as (
    select
        billing_period,
        usage_date,
        billing_account_id,
        sub_account_id,
        region,
        service_name,
        service_code,
        usage_type,
        charge_type,
        commitment_discount_id,
        billing_currency,
        resource_id,
        tag_set_id,
        {{ instance_type('product_instance_type', 'usage_type') }} as instance_type,
        pricing_term,
        {{ is_month_level_charge('charge_type', 'charge_period_start_at', 'charge_period_end_at') }} as is_month_level_charge,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        -- NULL when the export has no net columns (sum of NULLs), see docs/cost-bases.md.
        sum(net_effective_cost) as net_effective_cost,
        sum(list_cost) as list_cost,
        sum(usage_quantity) as usage_quantity,
        count(*) as line_items
    from line_items
    where not is_split_cost_allocation
    group by
        billing_period,
        usage_date,
        billing_account_id,
        sub_account_id,
        region,
        service_name,
        service_code,
        usage_type,
        charge_type,
        commitment_discount_id,
        billing_currency,
        resource_id,
        tag_set_id,
        {{ instance_type('product_instance_type', 'usage_type') }},
        pricing_term,
        {{ is_month_level_charge('charge_type', 'charge_period_start_at', 'charge_period_end_at') }}
),

daily as (
    select
        billing_period,
        usage_date,
        billing_account_id,
        sub_account_id,
        region,
        service_name,
        service_code,
        usage_type,
        charge_type,
        commitment_discount_id,
        billing_currency,
        resource_id,
        {{ sagemaker_arn_part('resource_id', 'type') }} as sagemaker_resource_type,
        {{ sagemaker_arn_part('resource_id', 'name') }} as sagemaker_resource_name,
        {{ sagemaker_arn_part('resource_id', 'account_id') }} as resource_account_id,
        {{ sagemaker_arn_part('resource_id', 'region') }} as resource_region,
        tag_set_id,
        instance_type,
        pricing_term,
        is_month_level_charge,
        billed_cost,
        effective_cost,
        net_effective_cost,
        list_cost,
        usage_quantity,
        line_items
    from summed
),

-- The tags, once per summed row. A left join: a row never loses its cost to a missing set (the
-- relationships test on stg_aws_cur__line_items.tag_set_id fails the build first).
tagged as (
    select
        daily.*,
        tag_sets.tags
    from daily
    left join tag_sets on daily.tag_set_id = tag_sets.tag_set_id
),

with_accelerator as (
    select
        *,
        {{ instance_family('instance_type') }} as instance_family,
        {{ accelerator(instance_family('instance_type')) }} as accelerator
    from tagged
),

final as (
    select
        daily.*,
        {{ classify_category('daily.usage_type', 'daily.charge_type', 'daily.service_code', 'daily.service_name', 'daily.accelerator', 'daily.tags') }} as category,
        {{ classify_pricing_model('daily.charge_type', 'daily.usage_type', 'daily.commitment_discount_id', 'daily.pricing_term') }} as pricing_model,
        {{ purchase_option(classify_pricing_model('daily.charge_type', 'daily.usage_type', 'daily.commitment_discount_id', 'daily.pricing_term'), 'daily.charge_type') }} as purchase_option,
        {{ tag_lookup('daily.tags', 'aliases.model_name_aliases') }} as tag_model_name,
        {{ tag_lookup('daily.tags', 'aliases.team_aliases') }} as tag_team,
        {{ tag_lookup('daily.tags', 'aliases.project_aliases') }} as tag_project,
        {{ tag_lookup('daily.tags', 'aliases.environment_aliases') }} as tag_environment
    from with_accelerator as daily
    cross join aliases
)

select * from final
