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
        -- The line's tags: stg_aws_cur__tag_sets (joined where they are read, after summing).
        tag_set_id,
        source_format,
        source_file,
        export_version,
        -- arn:aws:sagemaker:<region>:<account>:<type>/<name>; SageMaker lower-cases names in ARNs.
        lower(resource_id) like 'arn:aws%:sagemaker:%' as is_sagemaker_resource,
        {{ sagemaker_arn_part('resource_id', 'region') }} as resource_region,
        {{ sagemaker_arn_part('resource_id', 'account_id') }} as resource_account_id,
        {{ sagemaker_arn_part('resource_id', 'type') }} as sagemaker_resource_type,
        {{ sagemaker_arn_part('resource_id', 'name') }} as sagemaker_resource_name
    from source
)

select * from final
