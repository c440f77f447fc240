-- What `mlcost periods` lists: one row per loaded billing period and currency, with the load record
-- (source, format, export version, loaded at) beside the line items' own counts and totals.
-- Currencies are never added together; split cost allocation rows restate instance cost, so the
-- totals leave them out as every mart does. A period with line items but no load record (or the
-- reverse) still shows, so nothing loaded is hidden.
with

items as (
    select
        billing_period,
        billing_currency,
        count(*) as line_items,
        coalesce(sum(billed_cost) filter (where not is_split_cost_allocation), 0) as billed_cost,
        coalesce(sum(effective_cost) filter (where not is_split_cost_allocation), 0) as effective_cost
    from raw.billing_line_items
    group by billing_period, billing_currency
),

final as (
    select
        coalesce(loads.billing_period, items.billing_period) as billing_period,
        items.billing_currency,
        coalesce(items.line_items, 0) as line_items,
        items.billed_cost,
        items.effective_cost,
        loads.source_format,
        loads.export_version,
        loads.source_files,
        loads.loaded_at
    from raw.billing_loads as loads
    full outer join items on loads.billing_period = items.billing_period
)

select * from final
order by billing_period, billing_currency nulls first
