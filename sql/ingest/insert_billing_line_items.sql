-- Insert one billing period's normalized line items. The incoming placeholder is the union of
-- normalizing SELECTs built from the files' own headers (quoted identifiers only); every value is a
-- bound parameter. A line item with an empty cost field costs 0. Loose files contribute only their
-- rows of this period. Tag maps are cleaned and their keys normalized once per distinct map (an
-- export has few), not once per line item.
insert into raw.billing_line_items by name
with

incoming as (
    {incoming}
),

tag_sets as (
    select
        raw_tags,
        mlcost_clean_tags(raw_tags) as tags_original,
        mlcost_norm_tags(mlcost_clean_tags(raw_tags)) as tags
    from (select distinct raw_tags from incoming)
)

select
    $billing_period::date as billing_period,
    incoming.* exclude (row_billing_period, source_path, billed_cost, effective_cost, raw_tags),
    coalesce(incoming.billed_cost, 0) as billed_cost,
    coalesce(incoming.effective_cost, 0) as effective_cost,
    tag_sets.tags,
    tag_sets.tags_original,
    billing_files.source_file,
    billing_files.export_version,
    billing_files.source_format,
    now()::timestamp as ingested_at
from incoming
inner join billing_files on incoming.source_path = billing_files.source_path
inner join tag_sets on incoming.raw_tags = tag_sets.raw_tags
where not billing_files.is_loose or incoming.row_billing_period = $billing_period::date
