with

source as (
    select * from {{ source('raw', 'billing_line_items') }}
),

final as (
    select
        billing_period,
        -- Monthly fees and taxes can come without a charge period: they belong to the period's first day.
        coalesce(cast(charge_period_start as date), billing_period) as usage_date,
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
        iam_principal,
        region,
        usage_quantity,
        pricing_unit,
        billed_cost,
        effective_cost,
        net_effective_cost,
        list_cost,
        billing_currency,
        commitment_discount_id,
        product_family,
        product_instance_type,
        product_instance_family,
        pricing_term,
        reservation_arn,
        savings_plan_arn,
        invoice_id,
        pricing_currency,
        is_split_cost_allocation,
        tags,
        tags_original,
        source_format,
        source_file,
        export_version,
        -- arn:aws:sagemaker:<region>:<account>:<type>/<name>; SageMaker lower-cases names in ARNs.
        lower(resource_id) like 'arn:aws%:sagemaker:%' as is_sagemaker_resource,
        case when lower(resource_id) like 'arn:aws%:sagemaker:%' then split_part(resource_id, ':', 4) end as resource_region,
        case when lower(resource_id) like 'arn:aws%:sagemaker:%' then split_part(resource_id, ':', 5) end as resource_account_id,
        case
            when lower(resource_id) like 'arn:aws%:sagemaker:%'
                then lower(split_part(split_part(resource_id, ':', 6), '/', 1))
        end as sagemaker_resource_type,
        case
            when lower(resource_id) like 'arn:aws%:sagemaker:%'
                then nullif(lower(split_part(split_part(resource_id, ':', 6), '/', 2)), '')
        end as sagemaker_resource_name
    from source
)

select * from final
