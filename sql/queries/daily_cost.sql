-- Daily cost over the last 30 days of data, by category: the first chart anyone asks for.
-- Effective cost spreads savings plans and reservations over the usage they cover; billed cost is
-- what the invoice says. One row per currency too: amounts in different currencies are never added.
select
    usage_date,
    category,
    billing_currency,
    round(sum(effective_cost), 2) as effective_cost,
    round(sum(billed_cost), 2) as billed_cost
from marts.cost_by_model
where usage_date > (select max(days.usage_date) - interval 30 day from marts.cost_by_model as days)
group by usage_date, category, billing_currency
order by usage_date asc, billing_currency asc, effective_cost desc
