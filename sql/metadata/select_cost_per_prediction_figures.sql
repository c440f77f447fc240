-- Key figures of marts.cost_per_prediction, shown on its Dagster materializations: predictions
-- served and what 1,000 of them cost, over the latest month's days whose bill is complete, in its
-- main currency. The cost per 1,000 is NULL when no prediction was counted.
with

month_days as (
    select
        billing_currency,
        sum(predictions) as predictions,
        sum(inference_cost) as inference_cost
    from marts.cost_per_prediction
    where
        is_bill_complete
        and date_trunc('month', usage_date) = (
            select date_trunc('month', max(latest.usage_date))
            from marts.cost_per_prediction as latest
            where latest.is_bill_complete
        )
    group by billing_currency
)

select
    billing_currency,
    predictions as open_month_predictions,
    round(inference_cost, 2) as open_month_inference_cost,
    round(1000 * inference_cost / nullif(predictions, 0), 4) as open_month_cost_per_1k_predictions
from month_days
order by inference_cost desc, billing_currency asc
limit 1
