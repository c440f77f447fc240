-- Cost per 1,000 predictions per endpoint and model over the last 7 days of data, with the share of
-- inference cost spent on hours without a single prediction (idle capacity to right-size). One row
-- per currency the cost was billed in; days with predictions but no cost yet (the bill lags by a
-- day or two) are left out, so they do not dilute the cost per prediction.
select
    endpoint_name,
    model_name,
    billing_currency,
    sum(predictions) as predictions,
    round(sum(inference_cost), 2) as inference_cost,
    round(1000 * sum(inference_cost) / nullif(sum(predictions), 0), 4) as cost_per_1k_predictions,
    round(100 * sum(idle_cost) / nullif(sum(inference_cost), 0), 1) as idle_pct
from marts.cost_per_prediction
where
    usage_date > (select max(days.usage_date) - interval 7 day from marts.cost_per_prediction as days)
    and billing_currency is not null
group by endpoint_name, model_name, billing_currency
order by billing_currency asc, inference_cost desc
