-- Insert one billing period's normalized line items. The incoming placeholder is the union of
-- normalizing SELECTs built from the files' own headers (quoted identifiers only); every value is a
-- bound parameter. A line item with an empty cost field costs 0. Loose files are filtered to the
-- period and de-duplicated on identity/LineItemId + identity/TimeInterval (the newest file wins), so
-- overlapping re-exports never count twice.
insert into raw.billing_line_items by name
select
    $billing_period::date as billing_period,
    * exclude (
        row_billing_period, dedupe_time_interval, source_path, file_rank, is_loose, billed_cost, effective_cost
    ),
    coalesce(billed_cost, 0) as billed_cost,
    coalesce(effective_cost, 0) as effective_cost,
    now()::timestamp as ingested_at
from ({incoming}) as incoming
inner join billing_files using (source_path)
where not is_loose or row_billing_period = $billing_period::date
qualify not is_loose
    or line_item_id is null
    or dedupe_time_interval is null
    or row_number() over (partition by line_item_id, dedupe_time_interval order by file_rank desc) = 1
