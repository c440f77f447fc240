-- The files being loaded for one period, with what each row needs to know about its file: its name
-- in the store, the delivery version, format, recency rank (newest wins de-duplication) and whether
-- it is a loose file (filtered to the period) or governed by a manifest.
create or replace temp table billing_files as
select
    unnest($source_paths::varchar[]) as source_path,
    unnest($source_files::varchar[]) as source_file,
    unnest($export_versions::varchar[]) as export_version,
    unnest($source_formats::varchar[]) as source_format,
    unnest($file_ranks::integer[]) as file_rank,
    unnest($loose_files::boolean[]) as is_loose,
    unnest($export_names::varchar[]) as export_name
