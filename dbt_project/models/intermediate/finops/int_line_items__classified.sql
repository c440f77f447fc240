-- One row per billing line item, split cost allocation rows removed, with its category and
-- pricing model: for the models that need individual charge periods (idle hours, last complete day).
with

line_items as (
    select * from {{ ref('stg_aws_cur__line_items') }}
),

-- Split cost allocation rows repeat cost that is already on the bill: never count them.
billable as (
    select * from line_items
    where not is_split_cost_allocation
),

final as (
    select
        *,
        {{ classify_category('usage_type', 'charge_type', 'service_code', 'service_name') }} as category,
        {{ classify_pricing_model('charge_type', 'usage_type', 'commitment_discount_id') }} as pricing_model
    from billable
)

select * from final
