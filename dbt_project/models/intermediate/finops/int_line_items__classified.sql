with

line_items as (
    select * from {{ ref('stg_aws_cur__line_items') }}
),

aliases as (
    select * from {{ ref('int_tag_key_aliases__lists') }}
),

-- Split cost allocation rows repeat cost that is already on the bill: never count them.
billable as (
    select * from line_items
    where not is_split_cost_allocation
),

final as (
    select
        billable.*,
        {{ classify_category('billable.usage_type', 'billable.charge_type', 'billable.service_code', 'billable.service_name') }} as category,
        {{ classify_pricing_model('billable.charge_type', 'billable.usage_type', 'billable.commitment_discount_id') }} as pricing_model,
        {{ tag_lookup('billable.tags', 'aliases.model_name_aliases') }} as tag_model_name,
        {{ tag_lookup('billable.tags', 'aliases.team_aliases') }} as tag_team,
        {{ tag_lookup('billable.tags', 'aliases.project_aliases') }} as tag_project,
        {{ tag_lookup('billable.tags', 'aliases.environment_aliases') }} as tag_environment,
    from billable
    cross join aliases
)

select * from final
