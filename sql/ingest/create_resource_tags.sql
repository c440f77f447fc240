-- The current tags of every tagged resource in each account and region, from the Resource Groups
-- Tagging API (tag:GetResources): owners for bill lines whose tags were never activated as cost
-- allocation tags, and for SageMaker Studio domains, user profiles and spaces. Replaced per account
-- and region on each read (tags are current state, not history); see docs/attribution.md.
create table if not exists raw.resource_tags (
    resource_arn varchar not null,
    tags map(varchar, varchar),
    tags_original map(varchar, varchar),
    account_id varchar not null,
    region varchar not null,
    fetched_at timestamp not null,
    primary key (account_id, region, resource_arn)
)
