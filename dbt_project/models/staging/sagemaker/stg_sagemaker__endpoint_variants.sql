with

source as (
    select * from {{ source('raw', 'sagemaker_endpoint_variants') }}
),

final as (
    select distinct
        lower(endpoint_arn) as endpoint_arn,
        lower(endpoint_name) as endpoint_name,
        coalesce(account_id, {{ arn_account_id('endpoint_arn') }}) as account_id,
        coalesce(region, {{ arn_region('endpoint_arn') }}) as region,
        variant_name,
        lower(model_name) as model_name,
        instance_type,
        initial_instance_count,
        current_instance_count,
        serverless_memory_mb,
        coalesce(is_async, false) as is_async
    from source
)

select * from final
