-- What a billing period was last loaded from; an unchanged fingerprint means nothing to do.
select
    fingerprint,
    row_count,
    billed_cost,
    effective_cost,
    export_version,
    source_files
from raw.billing_loads
where billing_period = $billing_period
