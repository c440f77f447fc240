-- One row per tag set of the bill: the tags as the export wrote them and as normalized at ingest.
-- Line items carry only the set's id (tag_set_id); models sum the lines first and join their sets
-- after, once per summed row instead of reading two maps on every line.
with

source as (
    select * from {{ source('raw', 'billing_tag_sets') }}
),

final as (
    select
        tag_set_id,
        tags,
        tags_original
    from source
)

select * from final
