-- Record what a billing period was loaded from, replacing the previous record for that period.
insert or replace into raw.billing_loads
select
    $billing_period::date as billing_period,
    $fingerprint as fingerprint,
    $source_format as source_format,
    $export_version as export_version,
    $source_files::varchar[] as source_files,
    count(*) as row_count,
    coalesce(sum(billed_cost), 0) as billed_cost,
    coalesce(sum(effective_cost), 0) as effective_cost,
    now()::timestamp as loaded_at
from raw.billing_line_items
where billing_period = $billing_period
