-- Warns when a budget's scope has cost in a billing period in a currency other than the budget's
-- own (budgets file `currency`, default USD): that cost is not in actual_cost or the projection,
-- because amounts in different currencies are never added up or converted. A failure means the
-- budget misses part of its spend; give it the currency of the bill, or one budget per currency.
{{ config(severity='warn') }}

select
    budget_name,
    billing_period,
    billing_currency,
    uncounted_currencies
from {{ ref('budget_projection') }}
where {{ array_length('uncounted_currencies') }} > 0
