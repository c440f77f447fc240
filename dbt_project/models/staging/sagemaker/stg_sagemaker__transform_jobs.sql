with

source as (
    select * from {{ source('raw', 'sagemaker_transform_jobs') }}
),

latest as (
    select *
    from source
    qualify row_number() over (partition by lower(transform_job_arn) order by fetched_at desc nulls last) = 1
),

final as (
    select
        lower(transform_job_name) as transform_job_name,
        lower(transform_job_arn) as transform_job_arn,
        coalesce(account_id, {{ arn_account_id('transform_job_arn') }}) as account_id,
        coalesce(region, {{ arn_region('transform_job_arn') }}) as region,
        lower(model_name) as model_name,
        status,
        created_at,
        started_at,
        ended_at,
        instance_type,
        instance_count,
        tags
    from latest
)

select * from final
