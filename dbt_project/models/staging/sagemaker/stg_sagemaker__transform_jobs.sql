with

latest as (
    {{ sagemaker_job_latest_fetch('transform') }}
),

final as (
    select
        {{ sagemaker_job_identity('transform') }},
        lower(model_name) as model_name,
        {{ sagemaker_job_run() }},
        tags
    from latest
)

select * from final
