-- Row count of raw.resource_tags, reported in the asset's metadata.
select count(*) from raw.resource_tags
