-- Billing files the warehouse loaded from outside the demo's exports folder ($exports_root): when
-- there are any, the warehouse holds a real bill and `mlcost demo` refuses to add its generated one.
select distinct source_file
from raw.billing_loads, unnest(source_files) as files (source_file)
where not starts_with(source_file, $exports_root)
order by source_file
limit 1
