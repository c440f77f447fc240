-- How many non-empty values of a prediction log's timestamp column are not timestamps (ISO text with
-- or without offset, or epoch seconds/milliseconds), and one example, so the error can name them.
with source as (
    select nullif(trim({timestamp_column}::varchar), '') as raw_ts
    from {reader}($path)
),

parsed as (
    select
        raw_ts,
        coalesce(
            try_cast(raw_ts as timestamptz),
            case
                when abs(try_cast(raw_ts as double)) < 1e11 then to_timestamp(try_cast(raw_ts as double))
                when abs(try_cast(raw_ts as double)) < 1e14 then to_timestamp(try_cast(raw_ts as double) / 1000)
            end
        ) as ts
    from source
)

select
    count(*) filter (where raw_ts is not null and ts is null) as bad,
    min(raw_ts) filter (where raw_ts is not null and ts is null) as example
from parsed
