-- Hourly prediction counts of one log file for one UTC day. Timestamps are read as UTC unless they
-- carry an offset; {count_column} is 1 when the file has one row per prediction. Identifiers in
-- braces are quoted column names chosen by the ingester.
insert into prediction_log_counts
with source as (
    select
        nullif(trim({timestamp_column}::varchar), '') as raw_ts,
        nullif(trim({model_column}::varchar), '') as model_name,
        nullif(trim({endpoint_column}::varchar), '') as endpoint_name,
        nullif(trim({variant_column}::varchar), '') as variant_name,
        nullif(trim({transform_job_column}::varchar), '') as transform_job_name,
        {count_column}::bigint as predictions
    from {reader}($path)
),

parsed as (
    select
        coalesce(
            try_cast(raw_ts as timestamptz),
            case
                when abs(try_cast(raw_ts as double)) < 1e11 then to_timestamp(try_cast(raw_ts as double))
                when abs(try_cast(raw_ts as double)) < 1e14 then to_timestamp(try_cast(raw_ts as double) / 1000)
            end
        ) as ts,
        model_name,
        endpoint_name,
        variant_name,
        transform_job_name,
        predictions
    from source
)

select
    timezone('UTC', date_trunc('hour', ts)) as hour_start,
    endpoint_name,
    variant_name,
    model_name,
    transform_job_name,
    coalesce(sum(predictions), 0)::bigint as predictions
from parsed
where ts >= timezone('UTC', $day_start::timestamp) and ts < timezone('UTC', $day_end::timestamp)
group by all
