with

source as (
    select * from {{ source('raw', 'sagemaker_endpoints') }}
),

-- Daily snapshots: the latest one describes the endpoint (deleted endpoints keep their last state).
fetches as (
    select
        *,
        row_number() over (
            partition by lower(coalesce(endpoint_arn, endpoint_name))
            order by fetched_at desc nulls last, last_modified_at desc nulls last
        ) as fetch_rank
    from source
),

latest as (
    select * from fetches
    where fetch_rank = 1
),

final as (
    select
        lower(endpoint_name) as endpoint_name,
        lower(endpoint_arn) as endpoint_arn,
        coalesce(account_id, {{ arn_account_id('endpoint_arn') }}) as account_id,
        coalesce(region, {{ arn_region('endpoint_arn') }}) as region,
        status,
        lower(endpoint_config_name) as endpoint_config_name,
        created_at,
        coalesce(is_deleted, false) as is_deleted,
        tags,
        fetched_at
    from latest
)

select * from final
