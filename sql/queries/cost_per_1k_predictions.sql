-- Demo summary: what 1,000 predictions cost on each endpoint over the days whose bill is complete,
-- on the allocation basis (everything the endpoint cost) and the usage basis (the capacity it
-- used), with the idle share, per currency. Days without a cost per prediction (bill not
-- complete, no predictions, no cost billed) are left out, so they do not dilute it.
select
    endpoint_name,
    region,
    billing_currency,
    sum(predictions) as predictions,
    round(sum(inference_cost), 2) as inference_cost,
    round(sum(inference_cost) / sum(predictions) * 1000, 4) as cost_per_1k_predictions,
    round(sum(usage_cost) / sum(predictions) * 1000, 4) as usage_cost_per_1k_predictions,
    round(100 * sum(idle_cost) / nullif(sum(inference_cost), 0), 1) as idle_pct
from marts.cost_per_prediction
where cost_per_prediction_reason is null
group by endpoint_name, region, billing_currency
order by sum(inference_cost) desc
