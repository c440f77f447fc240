with

source as (
    select * from {{ source('raw', 'endpoint_utilization') }}
),

final as (
    select
        hour_start as hour_start_at,
        cast(hour_start as date) as usage_date,
        lower(endpoint_name) as endpoint_name,
        variant_name,
        metric_name,
        average,
        maximum,
        sample_count,
        account_id,
        region
    from source
)

select * from final
