-- Cost per 1,000 predictions per SageMaker endpoint and day (allocation basis, every model of the
-- endpoint together). A day with any row that has no cost per prediction (bill_not_complete,
-- no_predictions, no_cost_billed) or with cost in several currencies has NULL and the reason: the
-- chart leaves it as a gap, never as 0.
select
    usage_date,
    endpoint_name,
    any_value(billing_currency) as billing_currency,
    sum(predictions) as predictions,
    sum(inference_cost) as inference_cost,
    case
        when count(cost_per_prediction_reason) = 0 and count(distinct billing_currency) = 1
            then 1000 * sum(inference_cost) / sum(predictions)
    end as cost_per_1k_predictions,
    case
        when count(cost_per_prediction_reason) > 0 then string_agg(distinct cost_per_prediction_reason, ', ')
        when count(distinct billing_currency) > 1 then 'several_currencies'
    end as reason
from marts.cost_per_prediction
where endpoint_name <> 'unattributed'
group by usage_date, endpoint_name
order by usage_date asc, endpoint_name asc
