-- One row per billing period in the bill: its length and the last day the data covers completely.
-- A table, not a view: a dozen models and tests read it, and as a view each of them classified the
-- whole bill again (seconds per reader on a 5-million-line month, for a few rows).
{{ config(materialized='table') }}
with

line_items as (
    select * from {{ ref('int_line_items__classified') }}
),

periods as (
    select
        billing_period,
        -- CUR lags and rewrites the open day: a day is complete once some line's charge period ends
        -- at or after the next midnight. Lines covering more than a day (monthly fees) say nothing.
        max(charge_period_end_at) filter (
            where charge_period_end_at - charge_period_start_at <= interval '1' day
        ) as covered_to_at
    from line_items
    group by billing_period
),

final as (
    select
        billing_period,
        {{ month_end('billing_period') }} as period_end_date,
        day({{ month_end('billing_period') }}) as days_in_period,
        least(
            {{ month_end('billing_period') }},
            greatest(
                cast(billing_period - interval '1' day as date),
                -- coalesced: Trino's greatest is NULL when an argument is (DuckDB and Spark skip it)
                coalesce(cast(cast(covered_to_at as date) - interval '1' day as date), cast(billing_period - interval '1' day as date))
            )
        ) as data_through_date
    from periods
)

select * from final
