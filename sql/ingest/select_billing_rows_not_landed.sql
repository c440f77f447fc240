-- Every line read is a line landed: per file, the rows its reader produced (for a loose file, those of
-- this billing period) against the rows inserted from it, inside the period's transaction and before
-- de-duplication removes repeats on purpose. Any file returned here fails the period. The incoming
-- placeholder is the same union of normalizing SELECTs the insert read.
with

read_rows as (
    select
        source_path,
        count(*) as rows_read,
        count(*) filter (where row_billing_period = $billing_period::date) as rows_of_period
    from (
        {incoming}
    )
    group by source_path
),

landed as (
    select
        source_file,
        count(*) as rows_landed
    from raw.billing_line_items
    where billing_period = $billing_period::date
    group by source_file
),

compared as (
    select
        billing_files.source_file,
        coalesce(read_rows.rows_read, 0) as rows_read,
        coalesce(case when billing_files.is_loose then read_rows.rows_of_period else read_rows.rows_read end, 0)
            as rows_expected,
        coalesce(landed.rows_landed, 0) as rows_landed
    from billing_files
    left join read_rows on billing_files.source_path = read_rows.source_path
    left join landed on billing_files.source_file = landed.source_file
)

select
    source_file,
    rows_read,
    rows_expected,
    rows_landed
from compared
where rows_expected <> rows_landed
order by source_file
