-- One row per SageMaker endpoint ever seen (DescribeEndpoint), upserted by ARN. An endpoint missing
-- from the latest full listing keeps its last known state with is_deleted = true, so the cost of
-- deleted endpoints can still be attributed; see docs/sagemaker.md.
create table if not exists raw.sagemaker_endpoints (
    endpoint_name varchar not null,
    endpoint_arn varchar primary key,
    status varchar,
    endpoint_config_name varchar,
    created_at timestamp,
    last_modified_at timestamp,
    is_deleted boolean not null,
    deleted_detected_at timestamp,
    tags map(varchar, varchar),
    tags_original map(varchar, varchar),
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
