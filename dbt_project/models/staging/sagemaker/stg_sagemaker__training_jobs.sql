with

source as (
    select * from {{ source('raw', 'sagemaker_training_jobs') }}
),

-- The fetcher re-reads jobs it has seen; the latest fetch describes the job.
latest as (
    select *
    from source
    qualify row_number() over (partition by lower(training_job_arn) order by fetched_at desc nulls last) = 1
),

final as (
    select
        lower(training_job_name) as training_job_name,
        lower(training_job_arn) as training_job_arn,
        coalesce(account_id, {{ arn_account_id('training_job_arn') }}) as account_id,
        coalesce(region, {{ arn_region('training_job_arn') }}) as region,
        status,
        created_at,
        started_at,
        ended_at,
        instance_type,
        instance_count,
        billable_seconds,
        training_seconds,
        coalesce(is_managed_spot, false) as is_managed_spot,
        algorithm,
        lower(tuning_job_name) as tuning_job_name,
        final_metrics,
        tags,
        fetched_at
    from latest
)

select * from final
