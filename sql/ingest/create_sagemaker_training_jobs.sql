-- One row per SageMaker training job (DescribeTrainingJob), upserted by ARN, so training compute on
-- the bill can be attributed to a job, its tuning job and its tags, and its warm pool (kept alive
-- after the job, billed while it waits) measured; see docs/sagemaker.md.
create table if not exists raw.sagemaker_training_jobs (
    training_job_name varchar not null,
    training_job_arn varchar primary key,
    status varchar,
    secondary_status varchar,
    failure_reason varchar,
    created_at timestamp,
    started_at timestamp,
    ended_at timestamp,
    last_modified_at timestamp,
    instance_type varchar,
    instance_count bigint,
    volume_size_gb bigint,
    billable_seconds bigint,
    training_seconds bigint,
    is_managed_spot boolean,
    max_wait_seconds bigint,
    max_runtime_seconds bigint,
    algorithm varchar,
    tuning_job_arn varchar,
    tuning_job_name varchar,
    final_metrics map(varchar, double),
    tags map(varchar, varchar),
    tags_original map(varchar, varchar),
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null,
    keep_alive_seconds bigint,
    warm_pool_billable_seconds bigint,
    warm_pool_status varchar
)
