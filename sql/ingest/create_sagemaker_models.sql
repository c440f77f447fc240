-- One row per SageMaker model (DescribeModel), upserted by ARN: the image it serves and whether it
-- is a multi-model container, for attributing endpoint cost to models; see docs/sagemaker.md.
create table if not exists raw.sagemaker_models (
    model_name varchar not null,
    model_arn varchar primary key,
    created_at timestamp,
    image varchar,
    is_multi_model boolean,
    container_count bigint,
    tags map(varchar, varchar),
    tags_original map(varchar, varchar),
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
