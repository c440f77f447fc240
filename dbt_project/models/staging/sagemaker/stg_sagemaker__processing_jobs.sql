with

latest as (
    {{ sagemaker_job_latest_fetch('processing') }}
),

final as (
    select
        {{ sagemaker_job_identity('processing') }},
        {{ sagemaker_job_run() }},
        tags
    from latest
)

select * from final
