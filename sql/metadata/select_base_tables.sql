-- Which of the relations dbt built ($relations, `schema.name` strings) are tables: their row counts go
-- on their Dagster materializations (a view's would run its query, so views get none).
select
    table_schema,
    table_name
from information_schema.tables
where
    table_catalog = current_database()
    and table_type = 'BASE TABLE'
    and list_contains($relations, table_schema || '.' || table_name)
order by table_schema, table_name
