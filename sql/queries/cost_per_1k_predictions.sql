-- Demo summary: what 1,000 predictions cost on each endpoint over everything loaded (NULL: no
-- predictions), per currency; days with predictions but no cost yet are left out.
select
    endpoint_name,
    billing_currency,
    sum(predictions) as predictions,
    round(sum(inference_cost), 2) as inference_cost,
    round(sum(inference_cost) / nullif(sum(predictions), 0) * 1000, 4) as cost_per_1k_predictions
from marts.cost_per_prediction
where billing_currency is not null
group by endpoint_name, billing_currency
order by sum(inference_cost) desc
