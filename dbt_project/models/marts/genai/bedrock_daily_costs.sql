-- One row per usage date, account, region, Bedrock product, model, application, team, caller,
-- pricing model, usage kind, service tier and currency: every Amazon Bedrock line of the bill (tax,
-- credits and fees included), with the token cost split by direction (input, output, cache read,
-- cache write) and the tokens the bill counted. Per billing period and currency it equals the
-- bill's Bedrock lines exactly (assert_bedrock_daily_costs_reconciles_to_raw).
with

costs as (
    select * from {{ ref('int_bedrock_costs__attributed') }}
),

final as (
    select
        usage_date,
        billing_period,
        account_id,
        region,
        service_code,
        model_name,
        application,
        team,
        project,
        environment,
        coalesce(caller, 'unknown') as caller,
        caller_type,
        pricing_model,
        usage_kind,
        service_tier,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(net_effective_cost) as net_effective_cost,
        sum(list_cost) as list_cost,
        -- Direction splits of effective cost; NULL (never 0) when the row has no line of that kind.
        sum(effective_cost) filter (where token_direction = 'input') as input_cost,
        sum(effective_cost) filter (where token_direction = 'output') as output_cost,
        sum(effective_cost) filter (where token_direction = 'cache_read') as cache_read_cost,
        sum(effective_cost) filter (where token_direction = 'cache_write') as cache_write_cost,
        cast(sum(tokens_billed) filter (where token_direction = 'input') as bigint) as input_tokens_billed,
        cast(sum(tokens_billed) filter (where token_direction = 'output') as bigint) as output_tokens_billed,
        cast(sum(tokens_billed) filter (where token_direction = 'cache_read') as bigint) as cache_read_tokens_billed,
        cast(sum(tokens_billed) filter (where token_direction = 'cache_write') as bigint) as cache_write_tokens_billed,
        sum(usage_quantity) as usage_quantity,
        {{ ordered_string_agg('usage_type', "', '", 'usage_type', distinct=true) }} as usage_types,
        cast(sum(line_items) as bigint) as line_items
    from costs
    group by
        usage_date, billing_period, account_id, region, service_code, model_name, application, team, project,
        environment, coalesce(caller, 'unknown'), caller_type, pricing_model, usage_kind, service_tier, billing_currency
)

select * from final
