-- Drop the stored tags of every account and region just read again (same transaction as the
-- insert), so a resource that lost its tags or was deleted does not keep an owner.
delete from raw.resource_tags
where exists (
    select 1 from read_scopes
    where read_scopes.account_id = resource_tags.account_id and read_scopes.region = resource_tags.region
)
