-- Budgets are replaced as a whole on every load (same transaction as the inserts), so a budget
-- removed from BUDGETS_FILE disappears from the warehouse too.
delete from raw.budgets
