-- What 1,000 tokens of each Amazon Bedrock model cost us, per application: output and input
-- separately, on demand and on provisioned throughput, over the days whose bill is complete and
-- whose tokens CloudWatch (or the invocation logs) counted, per currency. Cost is the bill's
-- amortized cost; days where either side is missing are left out, so they do not dilute it. Per
-- 1,000,000 tokens too, the unit price lists use.
select
    model_name,
    application,
    pricing_model,
    billing_currency,
    count(distinct usage_date) as days,
    sum(output_tokens) filter (where output_reason is null) as output_tokens,
    round(sum(output_cost) filter (where output_reason is null), 2) as output_cost,
    round(
        1000 * sum(output_cost) filter (where output_reason is null)
        / sum(output_tokens) filter (where output_reason is null),
        6
    ) as cost_per_1k_output_tokens,
    round(
        1000000 * sum(output_cost) filter (where output_reason is null)
        / sum(output_tokens) filter (where output_reason is null),
        4
    ) as cost_per_1m_output_tokens,
    round(
        1000 * sum(input_cost) filter (where input_reason is null)
        / sum(input_tokens) filter (where input_reason is null),
        6
    ) as cost_per_1k_input_tokens,
    round(
        1000000 * sum(input_cost) filter (where input_reason is null)
        / sum(input_tokens) filter (where input_reason is null),
        4
    ) as cost_per_1m_input_tokens,
    -- Everything the rows' tokens cost (cache and provisioned throughput included) over all of them.
    round(
        1000 * sum(token_cost)
        / sum(
            coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
            + coalesce(cache_read_input_tokens, 0) + coalesce(cache_write_input_tokens, 0)
        ),
        6
    ) as cost_per_1k_tokens
from marts.bedrock_cost_per_1k_tokens
where cost_per_1k_tokens_reason is null
group by model_name, application, pricing_model, billing_currency
order by model_name, sum(token_cost) desc
