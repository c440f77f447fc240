with

source as (
    select * from {{ source('raw', 'billing_line_items') }}
),

final as (
    select
        billing_period,
        cast(charge_period_start as date) as usage_date,
        charge_period_start as charge_period_start_at,
        charge_period_end as charge_period_end_at,
        billing_account_id,
        sub_account_id,
        provider_name,
        service_name,
        service_code,
        usage_type,
        operation,
        charge_type,
        charge_description,
        line_item_id,
        resource_id,
        region,
        usage_quantity,
        pricing_unit,
        billed_cost,
        effective_cost,
        list_cost,
        billing_currency,
        commitment_discount_id,
        is_split_cost_allocation,
        tags,
        source_format,
        source_file,
        export_version,
    from source
)

select * from final
