-- The old layout's line items, once copied into the new one (same transaction).
drop table raw.billing_line_items_before_tag_sets
