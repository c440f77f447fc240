with

source as (
    select * from {{ source('raw', 'training_job_utilization') }}
),

final as (
    select
        hour_start as hour_start_at,
        lower(training_job_name) as training_job_name,
        host,
        metric_name,
        average,
        maximum,
        sample_count,
        account_id,
        region
    from source
)

select * from final
