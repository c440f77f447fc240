-- One row per owner rule in OWNERS_FILE (validated by pipelines/lib/owners.py), replaced on every
-- load, so dbt's cost_attribution reads who owns a linked account's untagged usage from the warehouse.
create table if not exists raw.owner_rules (
    account_id varchar not null,
    service_code varchar,
    region varchar,
    team varchar,
    project varchar,
    environment varchar,
    model_name varchar,
    source_file varchar not null,
    source_line integer not null,
    loaded_at timestamp not null
)
