-- The billing periods the warehouse holds, with the fingerprint of the delivery each was loaded from
-- (NULL for line items without a load record): what `mlcost lake export` writes to the lake.
select
    p.billing_period,
    l.fingerprint
from (select distinct billing_period from raw.billing_line_items) as p
left join raw.billing_loads as l on p.billing_period = l.billing_period
order by p.billing_period
