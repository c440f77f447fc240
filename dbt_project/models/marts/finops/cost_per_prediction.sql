with

costs as (
    select * from {{ ref('cost_attribution') }}
),

predictions as (
    select * from {{ ref('int_predictions__hourly') }}
),

idle as (
    select * from {{ ref('int_endpoint_costs__idle') }}
),

-- All inference cost, so the mart reconciles with cost_by_model; inference that ran on no
-- endpoint (batch transform, unmatched ARNs) has endpoint_name 'unattributed'. Currencies stay
-- apart: one row per currency the cost was billed in.
inference_costs as (
    select
        usage_date,
        coalesce(endpoint_name, 'unattributed') as endpoint_name,
        model_name,
        billing_currency,
        sum(effective_cost) as inference_cost
    from costs
    where category = 'inference'
    group by usage_date, coalesce(endpoint_name, 'unattributed'), model_name, billing_currency
),

daily_predictions as (
    select
        usage_date,
        coalesce(endpoint_name, 'unattributed') as endpoint_name,
        coalesce(model_name, 'unattributed') as model_name,
        sum(predictions) as predictions
    from predictions
    group by all
),

-- Predictions have no currency: each currency's row carries the day's predictions, and a day with
-- predictions but no cost has a NULL billing_currency.
joined as (
    select
        coalesce(inference_costs.usage_date, daily_predictions.usage_date) as usage_date,
        coalesce(inference_costs.endpoint_name, daily_predictions.endpoint_name) as endpoint_name,
        coalesce(inference_costs.model_name, daily_predictions.model_name) as model_name,
        inference_costs.billing_currency,
        coalesce(daily_predictions.predictions, 0) as predictions,
        coalesce(inference_costs.inference_cost, 0) as inference_cost
    from inference_costs
    full outer join daily_predictions
        on
            inference_costs.usage_date = daily_predictions.usage_date
            and inference_costs.endpoint_name = daily_predictions.endpoint_name
            and inference_costs.model_name = daily_predictions.model_name
),

-- An endpoint's idle cost is shared between its models like the rest of its cost: each part is
-- rounded to 10 decimals and the model with the largest cost takes the remainder, so the parts
-- add up to the endpoint's idle cost exactly.
with_idle as (
    select
        joined.*,
        coalesce(idle.idle_cost, 0) as endpoint_idle_cost,
        sum(joined.inference_cost) over endpoint_day as endpoint_inference_cost,
        row_number() over (
            partition by joined.usage_date, joined.endpoint_name, joined.billing_currency
            order by joined.inference_cost desc, joined.model_name asc
        ) as idle_rank
    from joined
    left join idle
        on
            joined.usage_date = idle.usage_date
            and joined.endpoint_name = idle.endpoint_name
            and joined.billing_currency = idle.billing_currency
    window endpoint_day as (partition by joined.usage_date, joined.endpoint_name, joined.billing_currency)
),

idle_parts as (
    select
        *,
        case
            when endpoint_inference_cost = 0 then 0
            else cast(round(endpoint_idle_cost * (inference_cost / endpoint_inference_cost), 10) as decimal(38, 10))
        end as idle_part
    from with_idle
),

balanced as (
    select
        *,
        case
            when endpoint_inference_cost = 0 then 0
            when idle_rank = 1
                then endpoint_idle_cost - (sum(idle_part) over (partition by usage_date, endpoint_name, billing_currency) - idle_part)
            else idle_part
        end as idle_cost
    from idle_parts
),

final as (
    select
        usage_date,
        endpoint_name,
        model_name,
        billing_currency,
        cast(predictions as bigint) as predictions,
        cast(inference_cost as decimal(38, 10)) as inference_cost,
        cast(idle_cost as decimal(38, 10)) as idle_cost,
        -- NULL, not 0, when nothing was predicted: the cost per prediction is unknown, not free.
        -- Divided exactly in DECIMAL (truncated at the 10th decimal).
        case when predictions > 0 then {{ divide_money('inference_cost', 'predictions') }} end as cost_per_prediction,
        case when predictions > 0 then {{ divide_money('inference_cost * 1000', 'predictions') }} end as cost_per_1k_predictions
    from balanced
)

select * from final
