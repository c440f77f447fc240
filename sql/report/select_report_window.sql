-- The data window the report's header states: the first and last usage day in the marts, and the
-- last day whose bill is complete (the latest period's budget projection says; without budgets,
-- the last complete day of inference cost).
select
    (select min(usage_date) from marts.cost_by_model) as first_usage_date,
    (select max(usage_date) from marts.cost_by_model) as last_usage_date,
    coalesce(
        (
            select max(projection.data_through_date) from marts.budget_projection as projection
            where
                projection.billing_period
                = (select max(periods.billing_period) from marts.budget_projection as periods)
        ),
        (
            select max(usage_date) from marts.cost_per_prediction
            where is_bill_complete
        )
    ) as bill_complete_through_date,
    (select list(distinct billing_currency order by billing_currency) from marts.cost_by_model) as currencies
