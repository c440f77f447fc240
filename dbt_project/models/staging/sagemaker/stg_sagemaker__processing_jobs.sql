with

source as (
    select * from {{ source('raw', 'sagemaker_processing_jobs') }}
),

latest as (
    select *
    from source
    qualify row_number() over (partition by lower(processing_job_arn) order by fetched_at desc nulls last) = 1
),

final as (
    select
        lower(processing_job_name) as processing_job_name,
        lower(processing_job_arn) as processing_job_arn,
        coalesce(account_id, {{ arn_account_id('processing_job_arn') }}) as account_id,
        coalesce(region, {{ arn_region('processing_job_arn') }}) as region,
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
