-- A row here is a usage date and currency whose inference cost in marts.cost_per_prediction
-- differs from the inference category of marts.cost_by_model: the per-prediction numbers leave
-- out (or invent) part of what the endpoints cost, or move it to another currency. Compared
-- exactly: both sides are DECIMAL(38, 10) sums of the same attributed amounts.

-- Shown in Dagster as a check on cost_per_prediction.
{{ config(meta={'dagster': {'ref': {'name': 'cost_per_prediction'}}}) }}
with

per_prediction as (
    select usage_date, billing_currency, sum(inference_cost) as inference_cost
    from {{ ref('cost_per_prediction') }}
    group by usage_date, billing_currency
),

by_model as (
    select usage_date, billing_currency, sum(effective_cost) as inference_cost
    from {{ ref('cost_by_model') }}
    where category = 'inference'
    group by usage_date, billing_currency
)

select
    coalesce(per_prediction.usage_date, by_model.usage_date) as usage_date,
    coalesce(per_prediction.billing_currency, by_model.billing_currency) as billing_currency,
    per_prediction.inference_cost as per_prediction_inference_cost,
    by_model.inference_cost as by_model_inference_cost
from per_prediction
full outer join by_model
    on
        per_prediction.usage_date = by_model.usage_date
        and per_prediction.billing_currency is not distinct from by_model.billing_currency
-- A day with predictions but no cost has a row without currency and cost 0 or NULL (bill not complete)
-- on one side only.
where coalesce(per_prediction.inference_cost, 0) <> coalesce(by_model.inference_cost, 0)
