-- The line items set aside by migrate_billing_line_items_rename, into the new layout: each line's tag
-- set id in place of its two maps (the id stage_billing_tag_sets_migrated gave its set).
insert into raw.billing_line_items by name
select
    * exclude (tags, tags_original),  -- noqa: RF02
    mlcost_tag_set_id(coalesce(tags_original, tags, cast(map() as map(varchar, varchar)))) as tag_set_id
from raw.billing_line_items_before_tag_sets
