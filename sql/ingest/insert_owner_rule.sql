-- One validated owner rule from OWNERS_FILE.
insert into raw.owner_rules (
    account_id, service_code, region, team, project, environment, model_name, source_file, source_line, loaded_at
)
values (
    $account_id,
    $service_code,
    $region,
    $team,
    $project,
    $environment,
    $model_name,
    $source_file,
    $source_line,
    now()::timestamp
)
