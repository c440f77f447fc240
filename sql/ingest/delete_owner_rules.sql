-- Owner rules are replaced as a whole on every load (same transaction as the inserts), so a rule
-- removed from OWNERS_FILE stops owning cost at the next build.
delete from raw.owner_rules
