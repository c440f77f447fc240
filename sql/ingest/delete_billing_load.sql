-- Forget a billing period's load record when the period is dropped (`mlcost periods drop`), in the
-- transaction that deletes its line items, so the next refresh sees the period as never loaded.
delete from raw.billing_loads
where billing_period = $billing_period
