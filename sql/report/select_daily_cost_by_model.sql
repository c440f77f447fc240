-- Daily effective (amortized) cost per model over the last $days days of data, for the stacked daily
-- chart: the $top_models models with the most cost there in each currency by name, the others summed
-- as "other models" so the legend stays readable. Amounts in different currencies are never added.
with

per_model as (
    select
        usage_date,
        billing_currency,
        model_name,
        sum(effective_cost) as effective_cost
    from marts.cost_by_model
    where usage_date > (select max(days.usage_date) from marts.cost_by_model as days) - $days::integer
    group by usage_date, billing_currency, model_name
),

ranked as (
    select
        billing_currency,
        model_name,
        row_number() over (partition by billing_currency order by sum(effective_cost) desc, model_name) as model_rank
    from per_model
    group by billing_currency, model_name
)

select
    per_model.usage_date,
    per_model.billing_currency,
    case when ranked.model_rank <= $top_models then per_model.model_name else 'other models' end as model_name,
    sum(per_model.effective_cost) as effective_cost
from per_model
inner join ranked
    on per_model.billing_currency = ranked.billing_currency and per_model.model_name = ranked.model_name
group by all
order by per_model.usage_date asc, per_model.billing_currency asc, model_name asc
