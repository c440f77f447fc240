-- A small raw table, whole, as one Parquet file of the lake (docs/engines.md#the-lake), written under a
-- temporary name and then swapped in. {table} is a raw source table's quoted name, never user input.
-- COPY is valid DuckDB that the linter's DuckDB dialect cannot parse, hence the noqa.
copy (select * from raw.{table}) to $path (format parquet, compression zstd)  -- noqa: PRS
