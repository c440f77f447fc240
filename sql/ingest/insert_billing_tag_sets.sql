-- The incoming tag sets that raw.billing_tag_sets does not hold yet (their ids were checked free of
-- collisions first, so one id is one set).
insert into raw.billing_tag_sets (tag_set_id, tags_original, tags)
select
    tag_set_id,
    any_value(tags_original) as tags_original,
    any_value(tags) as tags
from incoming_tag_sets
where tag_set_id not in (select stored.tag_set_id from raw.billing_tag_sets as stored)
group by tag_set_id
