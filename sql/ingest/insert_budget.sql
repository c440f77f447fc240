-- One validated budget from BUDGETS_FILE.
insert into raw.budgets
values (
    $budget_name,
    $scope,
    $scope_value,
    $amount::decimal(38, 10),
    $cost_basis,
    $actual_thresholds::double[],
    $forecast_thresholds::double[],
    $source_file,
    $source_line,
    now()::timestamp
)
