-- Rows of raw.prediction_counts that break its grain (more than one row per hour, source, endpoint,
-- variant, model, transform job, account and region) or count a negative number of predictions. Any row here
-- means a day was loaded twice or a log file is wrong; cost per prediction would be off.
select
    count(*) filter (where n > 1) as duplicated_keys,
    coalesce(sum(negative), 0) as negative_rows
from (
    select
        count(*) as n,
        count(*) filter (where predictions < 0) as negative
    from raw.prediction_counts
    group by hour_start, source, endpoint_name, variant_name, model_name, transform_job_name, account_id, region
) as per_key
