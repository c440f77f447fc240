-- One row per Bedrock product, usage type and resource on the bill, parsed: what was used
-- (usage_kind: tokens, provisioned throughput, customization training or storage, guardrails,
-- knowledge bases, agents, image or video generation, ...), the token direction (input, output,
-- cache read or write), the service tier (batch, flex, priority, ...), cross-region routing, and the
-- model. Patterns live in seeds/bedrock_usage_types.csv: the first match by priority wins; a usage
-- type that none matches stays here with usage_kind 'other' and its raw usage type, never dropped.
-- The model comes from the resource ARN when it names one (foundation model, system inference
-- profile), else from the usage type, else from the Marketplace product name
-- ("Claude Sonnet 4.6 (Amazon Bedrock Edition)"), named by macro bedrock_model_key unless
-- seeds/bedrock_model_aliases.csv maps the spelling.
with

line_items as (
    select * from {{ ref('int_bedrock_line_items__daily') }}
),

patterns as (
    select * from {{ ref('bedrock_usage_types') }}
),

aliases as (
    select * from {{ ref('bedrock_model_aliases') }}
),

usage_types as (
    select distinct
        service_code,
        service_name,
        coalesce(usage_type, '') as usage_type,
        resource_id,
        {{ bedrock_usage_type_body('usage_type') }} as usage_type_body
    from line_items
),

matched as (
    select
        usage_types.*,
        patterns.priority as pattern_priority,
        patterns.usage_kind,
        patterns.token_direction,
        nullif({{ regex_extract('usage_types.usage_type_body', "'(?i)' || patterns.pattern", 1) }}, '') as usage_type_model,
        row_number() over (
            partition by usage_types.service_code, usage_types.service_name, usage_types.usage_type, usage_types.resource_id
            order by patterns.priority nulls last
        ) as match_rank
    from usage_types
    left join patterns
        on {{ regex_matches('usage_types.usage_type_body', "'(?i)' || patterns.pattern") }}
),

-- Where the model comes from: a resource ARN that names it, else the usage type, else a Marketplace
-- product name.
marketplace as (
    select
        *,
        lower(service_name) like '%(amazon bedrock edition)%'
        or (lower(service_code) = 'amazonbedrockfoundationmodels' and lower(service_name) <> lower(service_code))
            as is_model_product
    from matched
    where match_rank = 1
),

identified as (
    select
        *,
        {{ bedrock_resource_kind('resource_id') }} as resource_kind,
        {{ bedrock_inference_profile_id('resource_id') }} as inference_profile_id,
        case
            when {{ bedrock_named_model_id('resource_id') }} is not null then 'resource_id'
            when usage_type_model is not null then 'usage_type'
            when is_model_product then 'product_name'
        end as model_source,
        coalesce(
            {{ bedrock_named_model_id('resource_id') }},
            usage_type_model,
            case when is_model_product then service_name end
        ) as model_identifier
    from marketplace
),

worded as (
    select
        *,
        {{ bedrock_model_words('model_identifier') }} as model_words,
        (
            select min(aliases.model_name)
            from aliases
            where {{ regex_matches('identified.model_identifier', "'(?i)' || aliases.pattern") }}
        ) as alias_model_name
    from identified
),

named as (
    select
        *,
        coalesce(alias_model_name, {{ bedrock_model_name('model_words') }}) as model_name
    from worded
),

final as (
    select
        service_code,
        service_name,
        usage_type,
        resource_id,
        usage_type_body,
        usage_type like '%-MP:%' or usage_type like 'MP:%' or lower(service_code) = 'amazonbedrockfoundationmodels'
            as is_marketplace,
        coalesce(usage_kind, 'other') as usage_kind,
        token_direction,
        pattern_priority,
        {{ bedrock_service_tier('usage_type') }} as service_tier,
        {{ bedrock_routing('usage_type') }} as routing,
        {{ regex_matches('usage_type', "'(?i)custom-model'") }} as is_custom_model,
        {{ regex_matches('usage_type', "'(?i)long-?context|long-ctx'") }} as is_long_context,
        resource_kind,
        inference_profile_id,
        model_source,
        model_identifier,
        model_name
    from named
)

select * from final
