-- One billing period of the normalized bill as one Parquet file of the lake (docs/engines.md#the-lake),
-- written under a temporary name and then swapped in. billing_period is left out: readers take it from
-- the file's folder (billing_period=YYYY-MM), as Hive-style partitioned tables do. The delivery's
-- fingerprint goes into the file's metadata, so an unchanged period is not written again. COPY is valid
-- DuckDB that the linter's DuckDB dialect cannot parse, hence the noqa.
copy (  -- noqa: PRS
    select * exclude (billing_period)
    from raw.billing_line_items
    where billing_period = $billing_period
) to $path (format parquet, compression zstd, kv_metadata {mlcost_fingerprint: $fingerprint})
