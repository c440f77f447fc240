-- What 1,000 (and 1,000,000) tokens cost: one row per usage date, account, region, model,
-- application, pricing model (on_demand, provisioned_throughput) and billing currency. The cost is
-- the bill's (effective, amortized) cost of the model's token lines, and of its provisioned
-- throughput; the tokens are CloudWatch's or the invocation logs' (int_bedrock_tokens__daily).
-- Batch inference is billed per token but reported by neither, so it is left out here: its cost
-- and billed tokens are in marts.bedrock_daily_costs. A ratio is given only for a day whose bill is
-- complete and that has both cost and tokens; otherwise it is NULL and its reason column says why,
-- never 0 because the cost has not arrived.
with

costs as (
    select * from {{ ref('int_bedrock_costs__attributed') }}
),

tokens as (
    select * from {{ ref('int_bedrock_tokens__daily') }}
),

billing_periods as (
    select * from {{ ref('int_billing_periods') }}
),

-- Usage only (tax, credits and fees are not a price per token), on demand or provisioned.
token_costs as (
    select
        usage_date,
        account_id,
        region,
        model_name,
        application,
        pricing_model,
        billing_currency,
        sum(effective_cost) filter (where token_direction = 'input') as input_cost,
        sum(effective_cost) filter (where token_direction = 'output') as output_cost,
        sum(effective_cost) filter (where token_direction = 'cache_read') as cache_read_cost,
        sum(effective_cost) filter (where token_direction = 'cache_write') as cache_write_cost,
        sum(effective_cost) filter (where usage_kind = 'provisioned_throughput') as provisioned_cost,
        sum(effective_cost) as token_cost
    from costs
    where
        (usage_kind = 'tokens' and pricing_model = 'on_demand')
        or (usage_kind = 'provisioned_throughput' and pricing_model = 'provisioned_throughput')
    group by usage_date, account_id, region, model_name, application, pricing_model, billing_currency
),

joined as (
    select
        coalesce(token_costs.usage_date, tokens.usage_date) as usage_date,
        coalesce(token_costs.account_id, tokens.account_id) as account_id,
        coalesce(token_costs.region, tokens.region) as region,
        coalesce(token_costs.model_name, tokens.model_name) as model_name,
        coalesce(token_costs.application, tokens.application) as application,
        coalesce(token_costs.pricing_model, tokens.pricing_model) as pricing_model,
        token_costs.billing_currency,
        tokens.token_source,
        tokens.invocations,
        tokens.input_tokens,
        tokens.output_tokens,
        tokens.cache_read_input_tokens,
        tokens.cache_write_input_tokens,
        token_costs.input_cost,
        token_costs.output_cost,
        token_costs.cache_read_cost,
        token_costs.cache_write_cost,
        token_costs.provisioned_cost,
        token_costs.token_cost
    from token_costs
    full join tokens
        on
            token_costs.usage_date = tokens.usage_date
            and coalesce(token_costs.account_id, '') = coalesce(tokens.account_id, '')
            and coalesce(token_costs.region, '') = coalesce(tokens.region, '')
            and token_costs.model_name = tokens.model_name
            and token_costs.application = tokens.application
            and token_costs.pricing_model = tokens.pricing_model
),

-- A day's bill is complete once its billing period's data covers the whole day, as for cost per
-- prediction (int_billing_periods.data_through_date).
with_status as (
    select
        joined.*,
        coalesce(joined.usage_date <= billing_periods.data_through_date, false) as is_bill_complete,
        coalesce(joined.input_tokens, 0) + coalesce(joined.output_tokens, 0)
        + coalesce(joined.cache_read_input_tokens, 0) + coalesce(joined.cache_write_input_tokens, 0) as total_tokens
    from joined
    left join billing_periods
        on cast(date_trunc('month', joined.usage_date) as date) = billing_periods.billing_period
),

reasoned as (
    select
        *,
        case
            when not is_bill_complete then 'bill_not_complete'
            when pricing_model = 'provisioned_throughput' then 'not_billed_per_token'
            when coalesce(input_tokens, 0) = 0 and coalesce(input_cost, 0) = 0 then 'no_usage'
            when coalesce(input_tokens, 0) = 0 then 'no_tokens_counted'
            when coalesce(input_cost, 0) = 0 then 'no_cost_billed'
        end as input_reason,
        case
            when not is_bill_complete then 'bill_not_complete'
            when pricing_model = 'provisioned_throughput' then 'not_billed_per_token'
            when coalesce(output_tokens, 0) = 0 and coalesce(output_cost, 0) = 0 then 'no_usage'
            when coalesce(output_tokens, 0) = 0 then 'no_tokens_counted'
            when coalesce(output_cost, 0) = 0 then 'no_cost_billed'
        end as output_reason,
        case
            when not is_bill_complete then 'bill_not_complete'
            when total_tokens = 0 then 'no_tokens_counted'
            when coalesce(token_cost, 0) = 0 then 'no_cost_billed'
        end as cost_per_1k_tokens_reason
    from with_status
),

final as (
    select
        usage_date,
        account_id,
        region,
        model_name,
        application,
        pricing_model,
        billing_currency,
        is_bill_complete,
        token_source,
        invocations,
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        cache_write_input_tokens,
        cast(input_cost as decimal(38, 10)) as input_cost,
        cast(output_cost as decimal(38, 10)) as output_cost,
        cast(cache_read_cost as decimal(38, 10)) as cache_read_cost,
        cast(cache_write_cost as decimal(38, 10)) as cache_write_cost,
        cast(provisioned_cost as decimal(38, 10)) as provisioned_cost,
        cast(token_cost as decimal(38, 10)) as token_cost,
        input_reason,
        -- Divided exactly in DECIMAL (truncated at the 10th decimal); NULL with a reason, never 0.
        case when input_reason is null then {{ divide_money('input_cost * 1000', 'input_tokens') }} end
            as cost_per_1k_input_tokens,
        case when input_reason is null then {{ divide_money('input_cost * 1000000', 'input_tokens') }} end
            as cost_per_1m_input_tokens,
        output_reason,
        case when output_reason is null then {{ divide_money('output_cost * 1000', 'output_tokens') }} end
            as cost_per_1k_output_tokens,
        case when output_reason is null then {{ divide_money('output_cost * 1000000', 'output_tokens') }} end
            as cost_per_1m_output_tokens,
        cost_per_1k_tokens_reason,
        case when cost_per_1k_tokens_reason is null then {{ divide_money('token_cost * 1000', 'total_tokens') }} end
            as cost_per_1k_tokens
    from reasoned
)

select * from final
