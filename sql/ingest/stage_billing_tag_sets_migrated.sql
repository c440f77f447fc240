-- The distinct tag sets of the line items set aside by migrate_billing_line_items_rename, with the
-- ids ingest gives them. Lines landed before tags_original existed have it NULL: their normalized tags
-- stand for the original (a set that is already normalized normalizes to itself).
create or replace temp table incoming_tag_sets as
with

sets as (
    select
        coalesce(tags_original, tags, cast(map() as map(varchar, varchar))) as tags_original,
        any_value(coalesce(tags, cast(map() as map(varchar, varchar)))) as tags
    from raw.billing_line_items_before_tag_sets
    group by all
)

select
    mlcost_tag_set_id(tags_original) as tag_set_id,
    tags_original,
    tags
from sets
