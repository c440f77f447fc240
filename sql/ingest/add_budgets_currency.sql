-- Warehouses made before budgets had a currency get the column; their budgets count USD until the
-- budgets file is loaded again (which every refresh does, right after this).
alter table raw.budgets add column if not exists currency varchar default 'USD'
