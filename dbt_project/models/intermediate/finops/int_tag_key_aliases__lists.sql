-- One row: for each attribute, the lower-cased tag keys that name it, in priority order.
with

aliases as (
    select * from {{ ref('tag_key_aliases') }}
),

final as (
    select
        coalesce(
            {{ ordered_array_agg('lower(trim(alias))', ['priority', 'alias'], where="lower(attribute) = 'model_name'") }},
            {{ empty_array(dbt.type_string()) }}
        ) as model_name_aliases,
        coalesce(
            {{ ordered_array_agg('lower(trim(alias))', ['priority', 'alias'], where="lower(attribute) = 'team'") }},
            {{ empty_array(dbt.type_string()) }}
        ) as team_aliases,
        coalesce(
            {{ ordered_array_agg('lower(trim(alias))', ['priority', 'alias'], where="lower(attribute) = 'project'") }},
            {{ empty_array(dbt.type_string()) }}
        ) as project_aliases,
        coalesce(
            {{ ordered_array_agg('lower(trim(alias))', ['priority', 'alias'], where="lower(attribute) = 'environment'") }},
            {{ empty_array(dbt.type_string()) }}
        ) as environment_aliases
    from aliases
)

select * from final
