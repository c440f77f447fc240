-- One row per SageMaker inference component ever seen (DescribeInferenceComponent), upserted by ARN:
-- the model it serves on which endpoint and variant, how many copies run and what each copy
-- reserves of the endpoint's instances. The reservation is what an endpoint's cost is divided by
-- (intermediate.int_endpoint_component_shares). A component missing from the latest full listing of
-- its account and region keeps its last known state with is_deleted = true; see docs/sagemaker.md.
create table if not exists raw.sagemaker_inference_components (
    inference_component_name varchar not null,
    inference_component_arn varchar primary key,
    endpoint_name varchar not null,
    endpoint_arn varchar,
    variant_name varchar,
    model_name varchar,
    base_inference_component_name varchar,
    status varchar,
    failure_reason varchar,
    created_at timestamp,
    last_modified_at timestamp,
    current_copy_count bigint,
    desired_copy_count bigint,
    accelerators_required double,
    cpu_cores_required double,
    min_memory_required_mb bigint,
    max_memory_required_mb bigint,
    is_deleted boolean not null,
    deleted_detected_at timestamp,
    tags map(varchar, varchar),
    tags_original map(varchar, varchar),
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null
)
