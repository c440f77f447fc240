-- Insert one billing period's normalized line items. The incoming placeholder is the union of
-- normalizing SELECTs built from the files' own headers (quoted identifiers only); every value is a
-- bound parameter. A line item with an empty cost field costs 0 and is flagged is_cost_missing. Loose files contribute only their
-- rows of this period. A row without a charge date, charged outside its own billing period or dated
-- after next month fails the whole statement (mlcost_row_is_valid raises), so nothing is dropped.
-- Tag maps are cleaned and their keys normalized once per distinct map (an export has few), keyed by
-- the map's 64-bit hash: exactly one tag set per hash, so the join can never duplicate a line item.
-- The line items are read once, in one pass, never held whole: incoming is not materialized (a
-- materialized CTE of every column spills past the memory limit), and the distinct tag maps come
-- from a second read of the tag column alone.
insert into raw.billing_line_items by name
with

incoming as not materialized (
    select
        *,
        hash(raw_tags) as tags_hash
    from (
        {incoming}
    )
    where mlcost_row_is_valid(row_billing_period, charge_period_start, $latest_period::date)
),

tag_sets as (
    select
        tags_hash,
        mlcost_clean_tags(raw_tags) as tags_original,
        mlcost_norm_tags(mlcost_clean_tags(raw_tags)) as tags
    from (
        -- Every row's map, valid or not: a map no landed row carries is never joined.
        select
            hash(raw_tags) as tags_hash,
            any_value(raw_tags) as raw_tags
        from (
            {incoming}
        )
        group by tags_hash
    ) as distinct_tag_maps
)

select
    $billing_period::date as billing_period,
    -- The linter takes the names in an exclude list for unqualified column references (noqa).
    incoming.* exclude (row_billing_period, source_path, billed_cost, effective_cost, raw_tags, tags_hash),  -- noqa: RF02
    coalesce(incoming.billed_cost, 0) as billed_cost,
    coalesce(incoming.effective_cost, 0) as effective_cost,
    incoming.billed_cost is null as is_cost_missing,
    tag_sets.tags,
    tag_sets.tags_original,
    billing_files.source_file,
    billing_files.export_version,
    billing_files.source_format,
    now()::timestamp as ingested_at
from incoming
inner join billing_files on incoming.source_path = billing_files.source_path
inner join tag_sets on incoming.tags_hash = tag_sets.tags_hash
where not billing_files.is_loose or incoming.row_billing_period = $billing_period::date
