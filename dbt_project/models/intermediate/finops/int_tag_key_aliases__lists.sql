-- One row: for each attribute, the lower-cased tag keys that name it, in priority order.
with

aliases as (
    select * from {{ ref('tag_key_aliases') }}
),

final as (
    select
        coalesce(list(lower(trim(alias)) order by priority, alias) filter (where lower(attribute) = 'model_name'), []::varchar[]) as model_name_aliases,
        coalesce(list(lower(trim(alias)) order by priority, alias) filter (where lower(attribute) = 'team'), []::varchar[]) as team_aliases,
        coalesce(list(lower(trim(alias)) order by priority, alias) filter (where lower(attribute) = 'project'), []::varchar[]) as project_aliases,
        coalesce(list(lower(trim(alias)) order by priority, alias) filter (where lower(attribute) = 'environment'), []::varchar[]) as environment_aliases
    from aliases
)

select * from final
