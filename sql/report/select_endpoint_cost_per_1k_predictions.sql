-- Cost per 1,000 predictions per SageMaker endpoint and day over the last $days days of data, for the
-- $top_endpoints endpoints with the most inference cost there (allocation basis, every model of the
-- endpoint together). A day with any row that has no cost per prediction (bill_not_complete,
-- no_predictions, no_cost_billed) or with cost in several currencies has NULL and the reason: the
-- chart leaves it as a gap, never as 0.
with

recent as (
    select * from marts.cost_per_prediction
    where
        endpoint_name <> 'unattributed'
        and usage_date > (select max(days.usage_date) from marts.cost_per_prediction as days) - $days::integer
),

ranked as (
    select
        endpoint_name,
        row_number() over (order by sum(inference_cost) desc nulls last, endpoint_name asc) as endpoint_rank
    from recent
    group by endpoint_name
)

select
    recent.usage_date,
    recent.endpoint_name,
    any_value(recent.billing_currency) as billing_currency,
    sum(recent.predictions) as predictions,
    sum(recent.inference_cost) as inference_cost,
    case
        when count(recent.cost_per_prediction_reason) = 0 and count(distinct recent.billing_currency) = 1
            then 1000 * sum(recent.inference_cost) / sum(recent.predictions)
    end as cost_per_1k_predictions,
    case
        when count(recent.cost_per_prediction_reason) > 0
            then string_agg(distinct recent.cost_per_prediction_reason, ', ')
        when count(distinct recent.billing_currency) > 1 then 'several_currencies'
    end as reason
from recent
inner join ranked on recent.endpoint_name = ranked.endpoint_name
where ranked.endpoint_rank <= $top_endpoints
group by recent.usage_date, recent.endpoint_name
order by recent.usage_date asc, recent.endpoint_name asc
