with

source as (
    select * from {{ source('raw', 'sagemaker_models') }}
),

fetches as (
    select
        *,
        row_number() over (partition by lower(coalesce(model_arn, model_name)) order by fetched_at desc nulls last) as fetch_rank
    from source
),

latest as (
    select * from fetches
    where fetch_rank = 1
),

final as (
    select
        lower(model_name) as model_name,
        lower(model_arn) as model_arn,
        coalesce(account_id, {{ arn_account_id('model_arn') }}) as account_id,
        coalesce(region, {{ arn_region('model_arn') }}) as region,
        created_at,
        image,
        coalesce(is_multi_model, false) as is_multi_model,
        tags
    from latest
)

select * from final
