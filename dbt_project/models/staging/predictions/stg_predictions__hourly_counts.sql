with

source as (
    select * from {{ source('raw', 'prediction_counts') }}
),

final as (
    select
        hour_start as hour_start_at,
        cast(hour_start as date) as usage_date,
        lower(endpoint_name) as endpoint_name,
        variant_name,
        lower(nullif(trim(model_name), '')) as model_name,
        lower(nullif(trim(transform_job_name), '')) as transform_job_name,
        coalesce(predictions, 0) as predictions,
        source,
        account_id,
        region
    from source
)

select * from final
