-- One row per endpoint, production variant and model (DescribeEndpointConfig + DescribeEndpoint),
-- replaced whenever its endpoint is re-described: which model each variant serves on what
-- instances, serverless or async; see docs/sagemaker.md.
create table if not exists raw.sagemaker_endpoint_variants (
    endpoint_arn varchar not null,
    endpoint_name varchar not null,
    variant_name varchar not null,
    model_name varchar,
    instance_type varchar,
    initial_instance_count bigint,
    current_instance_count bigint,
    current_weight double,
    serverless_memory_mb bigint,
    serverless_max_concurrency bigint,
    is_async boolean,
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
