-- Demo summary: the models that cost the most (amortized) over everything loaded, per currency
-- (amounts in different currencies are never added up).
select
    model_name,
    billing_currency,
    round(sum(effective_cost), 2) as effective_cost,
    round(sum(billed_cost), 2) as billed_cost
from marts.cost_by_model
group by model_name, billing_currency
order by sum(effective_cost) desc
limit 8
