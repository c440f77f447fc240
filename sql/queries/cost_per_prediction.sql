-- Cost per 1,000 predictions per endpoint and model over the last 7 days of data, with the share of
-- inference cost spent on hours without a single prediction (idle capacity to right-size).
select
    endpoint_name,
    model_name,
    sum(predictions) as predictions,
    round(sum(inference_cost), 2) as inference_cost,
    round(1000 * sum(inference_cost) / nullif(sum(predictions), 0), 4) as cost_per_1k_predictions,
    round(100 * sum(idle_cost) / nullif(sum(inference_cost), 0), 1) as idle_pct,
from marts.cost_per_prediction
where usage_date > (select max(usage_date) - interval 7 day from marts.cost_per_prediction)
group by endpoint_name, model_name
order by inference_cost desc
