-- Guards on one landed billing period: rows present, line items whose cost field was empty in the
-- export (landed as 0), and rows charged outside the period (a manifest that disagrees with its data).
select
    count(*) as row_count,
    count(*) filter (where is_cost_missing) as rows_with_missing_cost,
    count(*) filter (
        where charge_period_start is not null
        and date_trunc('month', charge_period_start) <> $billing_period::date
    ) as rows_charged_outside_period,
    count(*) filter (where is_split_cost_allocation) as split_cost_allocation_rows
from raw.billing_line_items
where billing_period = $billing_period::date
