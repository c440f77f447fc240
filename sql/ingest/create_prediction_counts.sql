-- Predictions served per hour: one row per hour, source, endpoint (or model) and variant, from
-- CloudWatch Invocations (source 'cloudwatch') and application prediction logs (source
-- 'prediction_logs'). The denominator of cost per prediction; replaced one UTC day at a time. See
-- docs/sagemaker.md.
create table if not exists raw.prediction_counts (
    hour_start timestamp not null,
    endpoint_name varchar,
    variant_name varchar,
    model_name varchar,
    -- set when the rows are records a batch transform job scored (prediction logs with a transform job column)
    transform_job_name varchar,
    predictions bigint not null,
    source varchar not null,
    account_id varchar,
    region varchar,
    fetched_at timestamp not null
)
