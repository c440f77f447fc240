-- A period fed by several files that are not one delivery (loose files saved again beside each other,
-- a loose copy of a manifest's file, two exports of one account) can repeat a line item. Keep each
-- line item (identity/LineItemId + its time interval, unique only together) from the best file only:
-- manifest deliveries before loose files, then the newest. Repeats inside one file are left alone.
delete from raw.billing_line_items
where
    billing_period = $billing_period
    and rowid in (
        select row_id
        from (
            select
                line_items.rowid as row_id,
                billing_files.file_rank,
                max(billing_files.file_rank) over (
                    partition by line_items.line_item_id, line_items.charge_period_start, line_items.charge_period_end
                ) as best_rank
            from raw.billing_line_items as line_items
            inner join billing_files on line_items.source_file = billing_files.source_file
            where
                line_items.billing_period = $billing_period
                and line_items.line_item_id is not null
        ) as ranked
        where file_rank < best_rank
    )
