with

latest as (
    {{ sagemaker_job_latest_fetch('training') }}
),

final as (
    select
        {{ sagemaker_job_identity('training') }},
        {{ sagemaker_job_run() }},
        billable_seconds,
        training_seconds,
        coalesce(is_managed_spot, false) as is_managed_spot,
        algorithm,
        lower(tuning_job_name) as tuning_job_name,
        final_metrics,
        keep_alive_seconds,
        warm_pool_status,
        warm_pool_billable_seconds,
        tags,
        fetched_at
    from latest
)

select * from final
