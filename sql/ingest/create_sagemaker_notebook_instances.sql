-- One row per SageMaker notebook instance (DescribeNotebookInstance), upserted by ARN, so notebook
-- hours on the bill can be attributed to an owner's tags; see docs/sagemaker.md.
create table if not exists raw.sagemaker_notebook_instances (
    notebook_instance_name varchar not null,
    notebook_instance_arn varchar primary key,
    status varchar,
    instance_type varchar,
    volume_size_gb bigint,
    created_at timestamp,
    last_modified_at timestamp,
    tags map(varchar, varchar),
    tags_original map(varchar, varchar),
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
