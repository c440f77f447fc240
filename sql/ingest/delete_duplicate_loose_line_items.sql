-- Loose files of one period may overlap (an export saved again beside the old one): keep each line
-- item (identity/LineItemId + its time interval) from the newest file only, so nothing counts twice.
delete from raw.billing_line_items
where billing_period = $billing_period
    and rowid in (
        select row_id
        from (
            select
                line_items.rowid as row_id,
                row_number() over (
                    partition by line_items.line_item_id, line_items.charge_period_start, line_items.charge_period_end
                    order by billing_files.file_rank desc
                ) as copy_number
            from raw.billing_line_items as line_items
            inner join billing_files on line_items.source_file = billing_files.source_file
            where line_items.billing_period = $billing_period
                and billing_files.is_loose
                and line_items.line_item_id is not null
        )
        where copy_number > 1
    )
