with

source as (
    select * from {{ source('raw', 'owner_rules') }}
),

final as (
    select
        account_id,
        -- Matched case-insensitively, like tag values (which the marts hold lower-cased).
        lower(service_code) as service_code,
        lower(region) as region,
        lower(nullif(trim(team), '')) as team,
        lower(nullif(trim(project), '')) as project,
        lower(nullif(trim(environment), '')) as environment,
        lower(nullif(trim(model_name), '')) as model_name,
        -- The most specific rule matching a line wins: service and region, service, region, account.
        (case when service_code is not null then 2 else 0 end)
        + (case when region is not null then 1 else 0 end) as specificity,
        source_file,
        source_line
    from source
)

select * from final
