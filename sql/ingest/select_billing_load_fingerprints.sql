-- The fingerprint of every billing period the warehouse holds: the warehouse itself, not the
-- orchestrator's history, decides which delivered periods are new or changed (a new or restored
-- warehouse file then gets every period it lacks).
select
    strftime(billing_period, '%Y-%m-%d') as partition_key,
    fingerprint
from raw.billing_loads
order by billing_period
