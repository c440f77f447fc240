-- The bill's distinct tag sets, one row each: the tags as written in the export (empty values dropped)
-- and as normalized (keys lower-cased, `user:`/`user_` prefixes removed). raw.billing_line_items holds
-- each line's tag_set_id, not its maps: a 5-million-line month has a few hundred tag sets, and writing
-- and reading two maps per line was a third of the ingest and the costliest part of the dbt build.
-- tag_set_id is the 64-bit hash of tags_original (macro mlcost_tag_set_id), so a tag set keeps its id
-- whichever period or delivery carries it, and the table only grows: loading a period adds the sets
-- it does not hold yet and never changes one. Ingest refuses two sets with one id (a hash collision).
create table if not exists raw.billing_tag_sets (
    tag_set_id bigint not null,
    tags_original map(varchar, varchar) not null,
    tags map(varchar, varchar) not null
)
