-- One row per SageMaker processing job (DescribeProcessingJob), upserted by ARN, so processing
-- compute on the bill can be attributed to a job and its tags; see docs/sagemaker.md.
create table if not exists raw.sagemaker_processing_jobs (
    processing_job_name varchar not null,
    processing_job_arn varchar primary key,
    status varchar,
    failure_reason varchar,
    created_at timestamp,
    started_at timestamp,
    ended_at timestamp,
    last_modified_at timestamp,
    instance_type varchar,
    instance_count bigint,
    volume_size_gb bigint,
    image varchar,
    training_job_arn varchar,
    tags map(varchar, varchar),
    tags_original map(varchar, varchar),
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
