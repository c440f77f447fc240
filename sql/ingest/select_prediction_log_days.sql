-- The UTC days a prediction log file has predictions on: each is a prediction_counts partition
-- to (re)load.
select distinct
    cast(
        timezone(
            'UTC',
            coalesce(
                try_cast(nullif(trim({timestamp_column}::varchar), '') as timestamptz),
                case
                    when abs(try_cast({timestamp_column}::varchar as double)) < 1e11
                        then to_timestamp(try_cast({timestamp_column}::varchar as double))
                    when abs(try_cast({timestamp_column}::varchar as double)) < 1e14
                        then to_timestamp(try_cast({timestamp_column}::varchar as double) / 1000)
                end
            )
        ) as date
    ) as day
from {reader}($path)
where {timestamp_column} is not null
order by 1
