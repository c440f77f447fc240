-- Who owns a resource according to the tags it carries now (Resource Groups Tagging API), keyed the
-- way a bill line can be looked up: by resource_key (the bill's resource id) for any resource, and
-- for SageMaker Studio by `studio:<domain-id>/<user profile or space>` and `studio:<domain-id>`, so an
-- app's line finds its user profile's or space's owner, else its domain's. Only resources whose tags
-- name a model, team, project or environment are kept.
with

resources as (
    select * from {{ ref('stg_tagging__resource_tags') }}
),

aliases as (
    select * from {{ ref('int_tag_key_aliases__lists') }}
),

owners as (
    select
        resources.account_id,
        resources.resource_key,
        resources.resource_type,
        resources.studio_domain_id,
        resources.studio_name,
        resources.service,
        {{ tag_lookup('resources.tags', 'aliases.model_name_aliases') }} as model_name,
        {{ tag_lookup('resources.tags', 'aliases.team_aliases') }} as team,
        {{ tag_lookup('resources.tags', 'aliases.project_aliases') }} as project,
        {{ tag_lookup('resources.tags', 'aliases.environment_aliases') }} as environment
    from resources
    cross join aliases
),

keyed as (
    select
        account_id,
        resource_key as owner_key,
        model_name,
        team,
        project,
        environment,
        'tagging_api' as attribution_source
    from owners
    union all
    select
        account_id,
        'studio:' || studio_domain_id || coalesce('/' || studio_name, '') as owner_key,
        model_name,
        team,
        project,
        environment,
        'sagemaker_studio' as attribution_source
    from owners
    where studio_domain_id is not null
),

-- A user profile and a space of one domain may share a name: the one that names a model wins, then
-- the one that names a team, then the first by owner.
ranked as (
    select
        *,
        row_number() over (
            partition by account_id, owner_key
            order by model_name nulls last, team nulls last, project nulls last, environment nulls last
        ) as owner_rank
    from keyed
    where coalesce(model_name, team, project, environment) is not null
),

final as (
    select
        account_id,
        owner_key,
        model_name,
        team,
        project,
        environment,
        attribution_source
    from ranked
    where owner_rank = 1
)

select * from final
