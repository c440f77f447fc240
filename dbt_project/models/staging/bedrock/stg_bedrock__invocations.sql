with

source as (
    select * from {{ source('raw', 'bedrock_invocations') }}
),

final as (
    select
        hour_start as hour_start_at,
        cast(hour_start as date) as usage_date,
        trim(model_id) as model_id,
        invocations,
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        cache_write_input_tokens,
        nullif(trim(caller), '') as caller,
        source,
        account_id,
        region
    from source
)

select * from final
