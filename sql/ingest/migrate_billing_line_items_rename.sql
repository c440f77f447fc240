-- A warehouse made before raw.billing_tag_sets: its line items, with their two maps each, set aside
-- while the table is made again in the new layout (same transaction; see insert_billing_line_items_migrated).
alter table raw.billing_line_items rename to billing_line_items_before_tag_sets
