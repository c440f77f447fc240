-- Remove a billing period before its replacement is inserted (same transaction), so a
-- re-delivered month replaces the old one instead of being counted twice.
delete from raw.billing_line_items
where billing_period = $billing_period
