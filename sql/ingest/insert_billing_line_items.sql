-- Insert one billing period's normalized line items. The incoming placeholder is the union of
-- normalizing SELECTs built from the files' own headers (quoted identifiers only); every value is a
-- bound parameter. A line item with an empty cost field costs 0 and is flagged is_cost_missing. Loose files contribute only their
-- rows of this period. A row without a charge date, charged outside its own billing period or dated
-- after next month fails the whole statement (mlcost_row_is_valid raises), so nothing is dropped.
-- Each line's tag set comes from incoming_tag_sets (stage_billing_tag_sets, one row per distinct raw
-- map hash, so the join can never duplicate a line item): the line keeps the set's id, not its maps.
-- The line items are read once, in one pass, never held whole: incoming is not materialized (a
-- materialized CTE of every column spills past the memory limit).
insert into raw.billing_line_items by name
with

incoming as not materialized (
    select
        *,
        hash(raw_tags) as raw_tags_hash
    from (
        {incoming}
    )
    where mlcost_row_is_valid(row_billing_period, charge_period_start, $latest_period::date)
)

select
    $billing_period::date as billing_period,
    -- The linter takes the names in an exclude list for unqualified column references (noqa).
    incoming.* exclude (row_billing_period, source_path, billed_cost, effective_cost, raw_tags, raw_tags_hash),  -- noqa: RF02
    coalesce(incoming.billed_cost, 0) as billed_cost,
    coalesce(incoming.effective_cost, 0) as effective_cost,
    incoming.billed_cost is null as is_cost_missing,
    incoming_tag_sets.tag_set_id,
    billing_files.source_file,
    billing_files.export_version,
    billing_files.source_format,
    now()::timestamp as ingested_at
from incoming
inner join billing_files on incoming.source_path = billing_files.source_path
inner join incoming_tag_sets on incoming.raw_tags_hash = incoming_tag_sets.raw_tags_hash
where not billing_files.is_loose or incoming.row_billing_period = $billing_period::date
