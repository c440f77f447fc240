-- One row per tagged resource and account, with the key the bill uses for it (line_item_resource_id)
-- and, for SageMaker Studio domains, user profiles and spaces, the domain id and name that a Studio
-- app's ARN carries (app/<domain-id>/<user-profile or space>/<app-type>/<app-name>).
with

source as (
    select * from {{ source('raw', 'resource_tags') }}
),

-- A resource read through two regions or two roles into one account: the newest read wins.
fetches as (
    select
        *,
        row_number() over (
            partition by account_id, lower(resource_arn) order by fetched_at desc, region asc
        ) as fetch_rank
    from source
),

latest as (
    select * from fetches
    where fetch_rank = 1
),

parsed as (
    select
        lower(resource_arn) as resource_arn,
        account_id,
        region,
        tags,
        fetched_at,
        lower(split_part(resource_arn, ':', 3)) as service,
        -- arn:aws:<service>:<region>:<account>:<type>/<id>, or :<type>:<id>, or (S3) :::<bucket>
        lower(split_part(split_part(resource_arn, ':', 6), '/', 1)) as resource_type,
        lower(split_part(resource_arn, ':', 6)) as resource_path
    from latest
),

final as (
    select
        resource_arn,
        account_id,
        region,
        service,
        resource_type,
        -- What CUR puts in line_item_resource_id: EC2 ids (i-..., vol-..., snap-...) and S3 bucket
        -- names bare, everything else (EFS, SageMaker, ...) as the whole ARN.
        case
            when service = 's3' and resource_path not like '%/%' then resource_path
            when service = 'ec2' then nullif(split_part(resource_path, '/', -1), '')
            else resource_arn
        end as resource_key,
        case
            when service = 'sagemaker' and resource_type in ('domain', 'user-profile', 'space')
                then nullif(split_part(resource_path, '/', 2), '')
        end as studio_domain_id,
        case
            when service = 'sagemaker' and resource_type in ('user-profile', 'space')
                then nullif(split_part(resource_path, '/', 3), '')
        end as studio_name,
        tags,
        fetched_at
    from parsed
)

select * from final
