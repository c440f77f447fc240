-- One row per budget in BUDGETS_FILE (validated by pipelines/lib/budgets.py), replaced on every
-- load, so dbt's budget_projection reads budgets from the warehouse like any other source.
create table if not exists raw.budgets (
    budget_name varchar primary key,
    scope varchar not null,
    scope_value varchar,
    amount decimal(38, 10) not null,
    currency varchar not null default 'USD',
    cost_basis varchar not null,
    actual_thresholds double[] not null,
    forecast_thresholds double[] not null,
    source_file varchar not null,
    source_line integer not null,
    loaded_at timestamp not null
)
