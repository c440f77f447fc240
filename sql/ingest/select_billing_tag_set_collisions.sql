-- Two different tag sets with one id (a 64-bit hash collision): among the incoming sets, or between
-- one of them and a set stored before. Ingest stops on any row here rather than give one set's lines
-- the other's tags.
with

incoming as (
    select distinct
        tag_set_id,
        tags_original
    from incoming_tag_sets
),

candidates as (
    select
        tag_set_id,
        tags_original
    from incoming
    union
    select
        tag_set_id,
        tags_original
    from raw.billing_tag_sets
    where tag_set_id in (select incoming.tag_set_id from incoming)
)

select
    tag_set_id,
    count(*) as tag_sets
from candidates
group by tag_set_id
having count(*) > 1
order by tag_set_id
