with

source as (
    select * from {{ source('raw', 'sagemaker_inference_components') }}
),

final as (
    select
        lower(inference_component_arn) as inference_component_arn,
        lower(inference_component_name) as inference_component_name,
        lower(endpoint_name) as endpoint_name,
        coalesce(account_id, {{ arn_account_id('inference_component_arn') }}) as account_id,
        coalesce(region, {{ arn_region('inference_component_arn') }}) as region,
        variant_name,
        lower(model_name) as model_name,
        lower(base_inference_component_name) as base_inference_component_name,
        status,
        created_at,
        last_modified_at,
        -- Copies running now; a component still being created or scaled counts what it asked for.
        coalesce(current_copy_count, desired_copy_count, 0) as copy_count,
        accelerators_required,
        cpu_cores_required,
        min_memory_required_mb,
        coalesce(is_deleted, false) as is_deleted,
        -- The first ingest that no longer listed the component: its reservation ends there.
        case when is_deleted then deleted_detected_at end as deleted_at,
        tags,
        fetched_at
    from source
)

select * from final
