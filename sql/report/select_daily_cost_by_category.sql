-- Daily effective (amortized) cost per category over the last $days days of data, for the stacked
-- daily chart. One row per currency too: amounts in different currencies are never added.
select
    usage_date,
    billing_currency,
    category,
    sum(effective_cost) as effective_cost
from marts.cost_by_model
where usage_date > (select max(days.usage_date) from marts.cost_by_model as days) - $days::integer
group by usage_date, billing_currency, category
order by usage_date asc, billing_currency asc, category asc
