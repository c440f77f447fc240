-- Hourly CPU, GPU and GPU memory utilization per training job host (CloudWatch
-- /aws/sagemaker/TrainingJobs, dimension Host = <job>/algo-<n>), so training cost can be weighed
-- against how busy its instances were; replaced one UTC day at a time. See docs/sagemaker.md.
create table if not exists raw.training_job_utilization (
    hour_start timestamp not null,
    training_job_name varchar not null,
    host varchar not null,
    metric_name varchar not null,
    average double,
    maximum double,
    sample_count double,
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
