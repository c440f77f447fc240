-- What SageMaker metadata says about each resource a bill line can name by ARN.
with

aliases as (
    select * from {{ ref('int_tag_key_aliases__lists') }}
),

training_jobs as (
    select * from {{ ref('stg_sagemaker__training_jobs') }}
),

processing_jobs as (
    select * from {{ ref('stg_sagemaker__processing_jobs') }}
),

transform_jobs as (
    select * from {{ ref('stg_sagemaker__transform_jobs') }}
),

notebooks as (
    select * from {{ ref('stg_sagemaker__notebook_instances') }}
),

endpoints as (
    select * from {{ ref('stg_sagemaker__endpoints') }}
),

variants as (
    select * from {{ ref('stg_sagemaker__endpoint_variants') }}
),

models as (
    select * from {{ ref('stg_sagemaker__models') }}
),

studio_owners as (
    select * from {{ ref('int_resource_tags__owners') }}
    where attribution_source = 'sagemaker_studio'
),

tagged_resources as (
    select
        'training-job' as resource_type,
        account_id,
        region,
        training_job_name as resource_name,
        tags,
        cast(null as {{ dbt.type_string() }}) as metadata_model_name,
        'sagemaker_training_job' as attribution_source
    from training_jobs
    union all
    select
        'processing-job' as resource_type,
        account_id,
        region,
        processing_job_name as resource_name,
        tags,
        cast(null as {{ dbt.type_string() }}) as metadata_model_name,
        'sagemaker_processing_job' as attribution_source
    from processing_jobs
    union all
    select
        'transform-job' as resource_type,
        account_id,
        region,
        transform_job_name as resource_name,
        tags,
        model_name as metadata_model_name,
        'sagemaker_transform_job' as attribution_source
    from transform_jobs
    union all
    select
        'notebook-instance' as resource_type,
        account_id,
        region,
        notebook_instance_name as resource_name,
        tags,
        cast(null as {{ dbt.type_string() }}) as metadata_model_name,
        'sagemaker_notebook' as attribution_source
    from notebooks
),

-- What a job launched from SageMaker Studio says about its launcher: Studio stamps it with
-- sagemaker:user-profile-arn (or sagemaker:space-arn) and sagemaker:domain-arn
-- (arn:...:user-profile/<domain-id>/<name>), keys into the owners of int_resource_tags__owners.
studio_keys as (
    select
        *,
        'studio:' || nullif(lower(split_part(coalesce({{ map_value('tags', "'sagemaker:user-profile-arn'") }}, {{ map_value('tags', "'sagemaker:space-arn'") }}), '/', 2)), '')
        || '/' || nullif(lower(split_part(coalesce({{ map_value('tags', "'sagemaker:user-profile-arn'") }}, {{ map_value('tags', "'sagemaker:space-arn'") }}), '/', 3)), '')
            as launcher_key,
        'studio:' || nullif(lower(split_part({{ map_value('tags', "'sagemaker:domain-arn'") }}, '/', 2)), '') as domain_key
    from tagged_resources
),

-- The resource's own tags first; a Studio-launched job without them takes its user profile's or
-- space's owner, else its domain's.
jobs_attributed as (
    select
        studio_keys.resource_type,
        studio_keys.account_id,
        studio_keys.region,
        studio_keys.resource_name,
        coalesce(
            {{ tag_lookup('studio_keys.tags', 'aliases.model_name_aliases') }},
            studio_keys.metadata_model_name,
            launchers.model_name,
            domains.model_name
        ) as model_name,
        coalesce({{ tag_lookup('studio_keys.tags', 'aliases.team_aliases') }}, launchers.team, domains.team) as team,
        coalesce({{ tag_lookup('studio_keys.tags', 'aliases.project_aliases') }}, launchers.project, domains.project) as project,
        coalesce(
            {{ tag_lookup('studio_keys.tags', 'aliases.environment_aliases') }}, launchers.environment, domains.environment
        ) as environment,
        studio_keys.attribution_source
    from studio_keys
    cross join aliases
    left join studio_owners as launchers
        on studio_keys.account_id = launchers.account_id and studio_keys.launcher_key = launchers.owner_key
    left join studio_owners as domains
        on studio_keys.account_id = domains.account_id and studio_keys.domain_key = domains.owner_key
),

-- An endpoint's team, project and environment come from its own tags, else from the tags of the
-- models it serves; its model names come from its variants (see int_endpoint_model_shares), its
-- own model tag only when no variant is known.
endpoint_model_tags as (
    select
        variants.endpoint_name,
        variants.account_id,
        variants.region,
        min({{ tag_lookup('models.tags', 'aliases.team_aliases') }}) as team,
        min({{ tag_lookup('models.tags', 'aliases.project_aliases') }}) as project,
        min({{ tag_lookup('models.tags', 'aliases.environment_aliases') }}) as environment
    from variants
    inner join models
        on
            variants.model_name = models.model_name
            and coalesce(variants.account_id, '') = coalesce(models.account_id, '')
            and coalesce(variants.region, '') = coalesce(models.region, '')
    cross join aliases
    group by variants.endpoint_name, variants.account_id, variants.region
),

endpoints_attributed as (
    select
        'endpoint' as resource_type,
        endpoints.account_id,
        endpoints.region,
        endpoints.endpoint_name as resource_name,
        {{ tag_lookup('endpoints.tags', 'aliases.model_name_aliases') }} as model_name,
        coalesce({{ tag_lookup('endpoints.tags', 'aliases.team_aliases') }}, endpoint_model_tags.team) as team,
        coalesce({{ tag_lookup('endpoints.tags', 'aliases.project_aliases') }}, endpoint_model_tags.project) as project,
        coalesce({{ tag_lookup('endpoints.tags', 'aliases.environment_aliases') }}, endpoint_model_tags.environment) as environment,
        'sagemaker_endpoint' as attribution_source
    from endpoints
    cross join aliases
    left join endpoint_model_tags
        on
            endpoints.endpoint_name = endpoint_model_tags.endpoint_name
            and coalesce(endpoints.account_id, '') = coalesce(endpoint_model_tags.account_id, '')
            and coalesce(endpoints.region, '') = coalesce(endpoint_model_tags.region, '')
),

unioned as (
    select * from jobs_attributed
    union all
    select * from endpoints_attributed
),

ranked as (
    select
        *,
        row_number() over (
            partition by resource_type, account_id, region, resource_name
            order by model_name nulls last, team nulls last
        ) as resource_rank
    from unioned
),

-- One row per resource key, so joining a bill line never duplicates its cost.
final as (
    select
        resource_type,
        account_id,
        region,
        resource_name,
        model_name,
        team,
        project,
        environment,
        attribution_source
    from ranked
    where resource_rank = 1
)

select * from final
