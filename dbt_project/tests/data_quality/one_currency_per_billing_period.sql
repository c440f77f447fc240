-- Warns when a billing period holds costs in more than one currency (e.g. a FOCUS export mixing
-- providers): cost_by_model keeps them apart, but budgets and month totals add amounts up as if
-- they were one currency. A failure means those figures need a per-currency reading.
{{ config(severity='warn') }}

select
    billing_period,
    count(distinct billing_currency) as currencies
from {{ ref('cost_by_model') }}
group by billing_period
having count(distinct billing_currency) > 1
