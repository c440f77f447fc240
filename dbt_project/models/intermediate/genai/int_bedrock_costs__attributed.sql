-- One row per day, account, region, Bedrock usage type, line item type, resource, caller and tag
-- set, with the parsed usage (int_bedrock_usage_types) and who it belongs to:
--   application: the tag of var('bedrock_application_tag_keys') on the line (an application
--     inference profile carries its cost allocation tags onto its lines), else the ID of the
--     application inference profile the line was billed on, else 'unattributed';
--   team (project, environment): the line's tags through tag_key_aliases.csv, whose last aliases
--     are the caller's IAM principal tags (`iamPrincipal/team` on the bill), else 'unattributed';
--   caller: line_item_iam_principal as var('bedrock_principal_identifiers') allows (macro bedrock_caller).
-- Token lines get their tokens in the pricing unit normalised to tokens (tokens_billed).
{%- set application_keys = array_of("'" ~ (var('bedrock_application_tag_keys') | map('lower') | join("', '")) ~ "'") %}

with

line_items as (
    select * from {{ ref('int_bedrock_line_items__daily') }}
),

usage_types as (
    select * from {{ ref('int_bedrock_usage_types') }}
),

aliases as (
    select * from {{ ref('int_tag_key_aliases__lists') }}
),

salt as (
    select * from {{ ref('stg_bedrock__principal_hash_salt') }}
),

parsed as (
    select
        line_items.*,
        usage_types.usage_kind,
        usage_types.token_direction,
        usage_types.service_tier,
        usage_types.routing,
        usage_types.is_marketplace,
        usage_types.is_custom_model,
        usage_types.resource_kind,
        usage_types.inference_profile_id,
        usage_types.model_name as parsed_model_name,
        usage_types.model_source
    from line_items
    left join usage_types
        on
            coalesce(line_items.service_code, '') = coalesce(usage_types.service_code, '')
            and coalesce(line_items.service_name, '') = coalesce(usage_types.service_name, '')
            and coalesce(line_items.usage_type, '') = usage_types.usage_type
            and coalesce(line_items.resource_id, '') = coalesce(usage_types.resource_id, '')
),

attributed as (
    select
        parsed.*,
        {{ tag_lookup('parsed.tags', application_keys) }} as tag_application,
        {{ tag_lookup('parsed.tags', 'aliases.model_name_aliases') }} as tag_model_name,
        {{ tag_lookup('parsed.tags', 'aliases.team_aliases') }} as tag_team,
        {{ tag_lookup('parsed.tags', 'aliases.project_aliases') }} as tag_project,
        {{ tag_lookup('parsed.tags', 'aliases.environment_aliases') }} as tag_environment,
        {{ bedrock_caller('parsed.iam_principal', 'salt.salt') }} as caller,
        {{ bedrock_caller_type('parsed.iam_principal') }} as caller_type,
        {{ bedrock_tokens_per_unit('parsed.pricing_unit', 'parsed.usage_type') }} as tokens_per_unit
    from parsed
    cross join aliases
    left join salt on true
),

final as (
    select
        billing_period,
        usage_date,
        billing_account_id,
        account_id,
        region,
        service_code,
        service_name,
        usage_type,
        charge_type,
        pricing_unit,
        resource_id,
        resource_kind,
        inference_profile_id,
        coalesce(usage_kind, 'other') as usage_kind,
        token_direction,
        service_tier,
        routing,
        is_marketplace,
        is_custom_model,
        -- A model tag on the line wins over the parsed model, as in marts.cost_attribution.
        coalesce(tag_model_name, parsed_model_name, 'unattributed') as model_name,
        case when tag_model_name is not null then 'line_item_tag' else model_source end as model_source,
        coalesce(tag_application, inference_profile_id, 'unattributed') as application,
        case
            when tag_application is not null then 'line_item_tag'
            when inference_profile_id is not null then 'inference_profile'
            else 'unattributed'
        end as application_source,
        coalesce(tag_team, 'unattributed') as team,
        coalesce(tag_project, 'unattributed') as project,
        coalesce(tag_environment, 'unattributed') as environment,
        caller,
        caller_type,
        pricing_model as bill_pricing_model,
        -- How the usage was bought: provisioned throughput (model units by the hour), batch
        -- inference (half price, asynchronous), or on demand; charges that are not usage (tax,
        -- credits, fees) keep the bill's pricing model.
        case
            when pricing_model not in ('on_demand', 'spot') then pricing_model
            when usage_kind = 'provisioned_throughput' then 'provisioned_throughput'
            when service_tier = 'batch' then 'batch'
            else 'on_demand'
        end as pricing_model,
        billing_currency,
        billed_cost,
        effective_cost,
        net_effective_cost,
        list_cost,
        usage_quantity,
        case
            when usage_kind = 'tokens' and tokens_per_unit is not null
                then cast(round(usage_quantity * tokens_per_unit) as bigint)
        end as tokens_billed,
        line_items
    from attributed
)

select * from final
