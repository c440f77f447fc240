-- Scratch table (in a private in-memory database, not the warehouse) collecting hourly counts from
-- each prediction log file before they are summed across files.
create temp table prediction_log_counts (
    hour_start timestamp,
    endpoint_name varchar,
    variant_name varchar,
    model_name varchar,
    transform_job_name varchar,
    predictions bigint
)
