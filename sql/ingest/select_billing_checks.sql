-- Guards on one landed billing period: rows present, every row carries the partition's period, no
-- NULL costs, and how many rows were charged outside the period (manifests that disagree with data).
select
    count(*) as row_count,
    count(*) filter (where billing_period <> $billing_period::date) as rows_in_other_period,
    count(*) filter (where billed_cost is null or effective_cost is null) as rows_with_null_cost,
    count(*) filter (
        where date_trunc('month', charge_period_start) <> $billing_period::date
    ) as rows_charged_outside_period,
    count(*) filter (where is_split_cost_allocation) as split_cost_allocation_rows
from raw.billing_line_items
where billing_period = $billing_period::date
