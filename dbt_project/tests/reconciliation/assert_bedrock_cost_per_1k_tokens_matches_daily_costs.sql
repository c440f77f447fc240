-- A row here is a day and currency where the token cost in marts.bedrock_cost_per_1k_tokens differs
-- from the on-demand token and provisioned throughput cost of marts.bedrock_daily_costs: cost per
-- 1,000 tokens lost or counted twice some of the bill (e.g. a model's cost joined to two token
-- rows). Compared exactly, on effective cost.

-- Shown in Dagster as a check on bedrock_cost_per_1k_tokens.
{{ config(meta={'dagster': {'ref': {'name': 'bedrock_cost_per_1k_tokens'}}}) }}
with

daily as (
    select usage_date, billing_currency, sum(effective_cost) as cost
    from {{ ref('bedrock_daily_costs') }}
    where
        (usage_kind = 'tokens' and pricing_model = 'on_demand')
        or (usage_kind = 'provisioned_throughput' and pricing_model = 'provisioned_throughput')
    group by usage_date, billing_currency
),

per_token as (
    select usage_date, billing_currency, sum(token_cost) as cost
    from {{ ref('bedrock_cost_per_1k_tokens') }}
    where billing_currency is not null
    group by usage_date, billing_currency
)

select
    coalesce(daily.usage_date, per_token.usage_date) as usage_date,
    coalesce(daily.billing_currency, per_token.billing_currency) as billing_currency,
    daily.cost as daily_cost,
    per_token.cost as per_token_cost
from daily
full outer join per_token
    on daily.usage_date = per_token.usage_date and daily.billing_currency = per_token.billing_currency
where daily.cost is distinct from per_token.cost
