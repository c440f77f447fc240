-- Cost per 1,000 predictions per endpoint, model and day over the last 7 days with predictions, on
-- both bases (allocation: everything the endpoint cost; usage: the capacity it used) with the idle
-- share. Days whose bill is not complete yet (the bill lags CloudWatch by a day or two) show NULL
-- and the reason, never a cost per prediction computed from the part of the cost that has arrived.
select
    usage_date,
    endpoint_name,
    region,
    model_name,
    billing_currency,
    predictions,
    round(inference_cost, 2) as inference_cost,
    cost_per_1k_predictions,
    usage_cost_per_1k_predictions,
    round(100 * idle_cost / nullif(inference_cost, 0), 1) as idle_pct,
    cost_per_prediction_reason
from marts.cost_per_prediction
where
    usage_date > (
        select max(days.usage_date) - interval 7 day from marts.cost_per_prediction as days
        where days.predictions > 0
    )
order by usage_date desc, endpoint_name asc, model_name asc, billing_currency asc
