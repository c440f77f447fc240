-- A row here is a usage date whose inference cost in marts.cost_per_prediction differs from the
-- inference category of marts.cost_by_model: the per-prediction numbers leave out (or invent)
-- part of what the endpoints cost.

-- Shown in Dagster as a check on cost_per_prediction.
{{ config(meta={'dagster': {'ref': {'name': 'cost_per_prediction'}}}) }}
with

per_prediction as (
    select usage_date, sum(inference_cost) as inference_cost,
    from {{ ref('cost_per_prediction') }}
    group by usage_date
),

by_model as (
    select usage_date, sum(effective_cost) as inference_cost,
    from {{ ref('cost_by_model') }}
    where category = 'inference'
    group by usage_date
)

select
    coalesce(per_prediction.usage_date, by_model.usage_date) as usage_date,
    per_prediction.inference_cost as per_prediction_inference_cost,
    by_model.inference_cost as by_model_inference_cost,
from per_prediction
full outer join by_model on per_prediction.usage_date = by_model.usage_date
where abs(coalesce(per_prediction.inference_cost, 0) - coalesce(by_model.inference_cost, 0)) >= 0.000001
