-- One row per SageMaker batch transform job (DescribeTransformJob), upserted by ARN, so batch
-- inference compute can be attributed to the model it ran; see docs/sagemaker.md.
create table if not exists raw.sagemaker_transform_jobs (
    transform_job_name varchar not null,
    transform_job_arn varchar primary key,
    model_name varchar,
    status varchar,
    failure_reason varchar,
    created_at timestamp,
    started_at timestamp,
    ended_at timestamp,
    last_modified_at timestamp,
    instance_type varchar,
    instance_count bigint,
    tags map(varchar, varchar),
    tags_original map(varchar, varchar),
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
