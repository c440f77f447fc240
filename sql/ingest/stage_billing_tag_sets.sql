-- The tag sets of the files being loaded, from a read of their tag column alone: one row per distinct
-- raw map (an export has a few hundred), keyed by the map's 64-bit hash, with the set it cleans to
-- (empty values dropped), that set's id (raw.billing_tag_sets) and its normalized keys. Every row's
-- map, valid or not: a map no landed row carries is never joined. The incoming placeholder is the
-- union of normalizing SELECTs the insert reads.
create or replace temp table incoming_tag_sets as
with

distinct_tag_maps as (
    select
        hash(raw_tags) as raw_tags_hash,
        any_value(raw_tags) as raw_tags
    from (
        {incoming}
    )
    group by raw_tags_hash
),

cleaned as (
    select
        raw_tags_hash,
        mlcost_clean_tags(raw_tags) as tags_original
    from distinct_tag_maps
)

select
    raw_tags_hash,
    mlcost_tag_set_id(tags_original) as tag_set_id,
    tags_original,
    mlcost_norm_tags(tags_original) as tags
from cleaned
