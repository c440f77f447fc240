-- The bill's Amazon Bedrock lines (product codes AmazonBedrock, AmazonBedrockFoundationModels for
-- models sold through AWS Marketplace, AmazonBedrockService, AmazonBedrockAgentCore, ...) summed per
-- day, account, region, usage type, line item type, resource, caller and tag set, with their tags and
-- pricing model. Split cost allocation rows are left out, as everywhere. A table: both Bedrock marts and the
-- resource map read it.
{{ config(materialized='table') }}

with

line_items as (
    select * from {{ ref('stg_aws_cur__line_items') }}
),

tag_sets as (
    select * from {{ ref('stg_aws_cur__tag_sets') }}
),

bedrock as (
    select
        billing_period,
        usage_date,
        billing_account_id,
        sub_account_id as account_id,
        region,
        service_code,
        service_name,
        usage_type,
        charge_type,
        pricing_unit,
        resource_id,
        iam_principal,
        tag_set_id,
        commitment_discount_id,
        pricing_term,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(net_effective_cost) as net_effective_cost,
        sum(list_cost) as list_cost,
        sum(usage_quantity) as usage_quantity,
        count(*) as line_items
    from line_items
    where
        not is_split_cost_allocation
        and lower(service_code) like 'amazonbedrock%'
    group by
        billing_period, usage_date, billing_account_id, sub_account_id, region, service_code, service_name,
        usage_type, charge_type, pricing_unit, resource_id, iam_principal, tag_set_id, commitment_discount_id, pricing_term,
        billing_currency
),

-- The tags joined once per summed row (a left join: a row never depends on finding its set).
final as (
    select
        bedrock.*,
        tag_sets.tags,
        {{ classify_pricing_model('bedrock.charge_type', 'bedrock.usage_type', 'bedrock.commitment_discount_id', 'bedrock.pricing_term') }} as pricing_model
    from bedrock
    left join tag_sets on bedrock.tag_set_id = tag_sets.tag_set_id
)

select * from final
