-- When the published copy of the marts was written (the report's "marts built at"); the warehouse
-- itself has no snapshot_info, so the report runs this only when the table exists.
select published_at from main.snapshot_info
