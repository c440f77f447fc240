-- One row per billing line item, split cost allocation rows removed, with its category and
-- pricing model, instance type and family, accelerator and purchase option: for the models that need individual charge periods (idle hours, last complete day).
with

line_items as (
    select * from {{ ref('stg_aws_cur__line_items') }}
),

tag_sets as (
    select * from {{ ref('stg_aws_cur__tag_sets') }}
),

-- Split cost allocation rows repeat cost that is already on the bill: never count them. Each line's
-- tags come from its tag set (a left join: a line never depends on finding it).
billable as (
    select
        line_items.*,
        tag_sets.tags
    from line_items
    left join tag_sets on line_items.tag_set_id = tag_sets.tag_set_id
    where not line_items.is_split_cost_allocation
),

with_instance as (
    select
        *,
        {{ instance_type('product_instance_type', 'usage_type') }} as instance_type
    from billable
),

with_accelerator as (
    select
        *,
        {{ instance_family('instance_type') }} as instance_family,
        {{ accelerator(instance_family('instance_type')) }} as accelerator
    from with_instance
),

priced as (
    select
        *,
        {{ classify_category('usage_type', 'charge_type', 'service_code', 'service_name', 'accelerator', 'tags') }} as category,
        {{ classify_pricing_model('charge_type', 'usage_type', 'commitment_discount_id', 'pricing_term') }} as pricing_model
    from with_accelerator
),

final as (
    select
        *,
        {{ purchase_option('pricing_model', 'charge_type') }} as purchase_option
    from priced
)

select * from final
