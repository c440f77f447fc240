-- One validated budget from BUDGETS_FILE.
insert into raw.budgets (
    budget_name, scope, scope_value, amount, currency, cost_basis, actual_thresholds, forecast_thresholds,
    source_file, source_line, loaded_at
)
values (
    $budget_name,
    $scope,
    $scope_value,
    $amount::decimal(38, 10),
    $currency,
    $cost_basis,
    $actual_thresholds::double[],
    $forecast_thresholds::double[],
    $source_file,
    $source_line,
    now()::timestamp
)
