-- Tokens and requests per day, account, region, model, application and pricing model, from
-- CloudWatch AWS/Bedrock metrics or the model invocation logs: per hour, account, region and model
-- ID one source is used, the logs when they have rows (they are per request), else CloudWatch, so
-- nothing is counted twice. A model ID is named like the bill names its model (macro
-- bedrock_model_key, seeds/bedrock_model_aliases.csv); an application inference profile's or a
-- provisioned model's ARN is looked up in int_bedrock_resources for its model and application
-- (its own ID when the bill has not named them yet). Calls without a profile are application
-- 'unattributed', as on the bill.
with

invocations as (
    select * from {{ ref('stg_bedrock__invocations') }}
),

resources as (
    select * from {{ ref('int_bedrock_resources') }}
),

aliases as (
    select * from {{ ref('bedrock_model_aliases') }}
),

ranked as (
    select
        *,
        bool_or(source = 'invocation_logs') over (
            partition by hour_start_at, account_id, region, lower(model_id)
        ) as has_logs
    from invocations
),

chosen as (
    select * from ranked
    where source = 'invocation_logs' or not has_logs
),

per_model_id as (
    select
        usage_date,
        account_id,
        region,
        model_id,
        source,
        sum(invocations) as invocations,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cache_read_input_tokens) as cache_read_input_tokens,
        sum(cache_write_input_tokens) as cache_write_input_tokens
    from chosen
    group by usage_date, account_id, region, model_id, source
),

worded as (
    select
        per_model_id.*,
        {{ bedrock_resource_kind('per_model_id.model_id') }} as resource_kind,
        resources.model_name as resource_model_name,
        resources.application as resource_application,
        {{ bedrock_model_words(bedrock_named_model_id('per_model_id.model_id')) }} as model_words,
        (
            select min(aliases.model_name)
            from aliases
            where {{ regex_matches('per_model_id.model_id', "'(?i)' || aliases.pattern") }}
        ) as alias_model_name
    from per_model_id
    left join resources
        on lower(per_model_id.model_id) = resources.resource_key
),

named as (
    select
        *,
        coalesce(alias_model_name, {{ bedrock_model_name('model_words') }}) as named_model_name
    from worded
),

attributed as (
    select
        *,
        coalesce(
            case when resource_kind in ('foundation_model', 'inference_profile') or resource_kind is null then named_model_name end,
            resource_model_name,
            'unattributed'
        ) as model_name,
        case
            when resource_kind = 'application_inference_profile'
                then coalesce(resource_application, {{ bedrock_inference_profile_id('model_id') }})
            when resource_kind in ('provisioned_model', 'custom_model', 'imported_model')
                then coalesce(resource_application, 'unattributed')
            else 'unattributed'
        end as application,
        case when resource_kind = 'provisioned_model' then 'provisioned_throughput' else 'on_demand' end as pricing_model
    from named
),

final as (
    select
        usage_date,
        account_id,
        region,
        model_name,
        application,
        pricing_model,
        {{ ordered_string_agg('source', "','", 'source', distinct=true) }} as token_source,
        cast(sum(invocations) as bigint) as invocations,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        cast(sum(cache_read_input_tokens) as bigint) as cache_read_input_tokens,
        cast(sum(cache_write_input_tokens) as bigint) as cache_write_input_tokens
    from attributed
    group by usage_date, account_id, region, model_name, application, pricing_model
)

select * from final
