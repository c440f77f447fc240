-- Column names and DuckDB types of the tables and views dbt built, in column order: the column schema
-- on their Dagster materializations (dbt's adapter would report every VARCHAR as
-- `character varying(256)`, a limit DuckDB does not have). $relations holds `schema.name` strings.
select
    table_schema,
    table_name,
    column_name,
    data_type
from information_schema.columns
where
    table_catalog = current_database()
    and list_contains($relations, table_schema || '.' || table_name)
order by table_schema, table_name, ordinal_position
