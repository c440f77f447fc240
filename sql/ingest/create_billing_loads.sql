-- One row per billing period currently loaded: which export version and files it came from and a
-- fingerprint of them, so an unchanged period is skipped and a re-delivered one is replaced.
create table if not exists raw.billing_loads (
    billing_period date primary key,
    fingerprint varchar not null,
    source_format varchar not null,
    export_version varchar,
    source_files varchar[] not null,
    row_count bigint not null,
    billed_cost decimal(38, 10) not null,
    effective_cost decimal(38, 10) not null,
    loaded_at timestamp not null
)
