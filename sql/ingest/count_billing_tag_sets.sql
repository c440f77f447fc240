-- How many tag sets raw.billing_tag_sets holds (the asset's row count).
select count(*) as tag_sets
from raw.billing_tag_sets
