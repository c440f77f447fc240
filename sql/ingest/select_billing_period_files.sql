-- Line items per source file for one period: a delivered file that produced none is reported as bad
-- input (header-only or empty) instead of silently loading nothing.
select
    source_file,
    count(*) as line_items
from raw.billing_line_items
where billing_period = $billing_period
group by source_file
