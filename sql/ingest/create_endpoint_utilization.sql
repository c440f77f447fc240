-- Hourly CPU, GPU, memory utilization and model latency per endpoint variant (CloudWatch), for
-- right-sizing endpoints; replaced one UTC day at a time. See docs/sagemaker.md.
create table if not exists raw.endpoint_utilization (
    hour_start timestamp not null,
    endpoint_name varchar not null,
    variant_name varchar not null,
    metric_name varchar not null,
    average double,
    maximum double,
    sample_count double,
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
