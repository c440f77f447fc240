with

source as (
    select * from {{ source('raw', 'sagemaker_notebook_instances') }}
),

fetches as (
    select
        *,
        row_number() over (
            partition by lower(notebook_instance_arn) order by fetched_at desc nulls last
        ) as fetch_rank
    from source
),

latest as (
    select * from fetches
    where fetch_rank = 1
),

final as (
    select
        lower(notebook_instance_name) as notebook_instance_name,
        lower(notebook_instance_arn) as notebook_instance_arn,
        coalesce(account_id, {{ arn_account_id('notebook_instance_arn') }}) as account_id,
        coalesce(region, {{ arn_region('notebook_instance_arn') }}) as region,
        status,
        instance_type,
        created_at,
        last_modified_at,
        tags
    from latest
)

select * from final
