-- One statsforecast model's month-end forecasts: the cost known as of each case's day (as the SQL
-- method counts it) plus the model's remaining daily usage (model_results, registered by
-- benchmarks/forecast_methods.py: one row per case).
insert into bench_forecasts
select
    $method as method,
    bench_cases.case_id,
    bench_cases.budget_name,
    bench_cases.billing_period,
    bench_cases.days_of_data,
    cast(bench_cases.month_cost as double) as month_cost,
    cast(bench_cases.known_cost as double) + model_results.remaining as forecast_cost,
    cast(bench_cases.known_cost as double) + model_results.remaining_low as forecast_low,
    cast(bench_cases.known_cost as double) + model_results.remaining_high as forecast_high,
    cast(bench_cases.known_cost as double) + model_results.steps_low as steps_low,
    cast(bench_cases.known_cost as double) + model_results.steps_high as steps_high
from bench_cases
inner join model_results
    on bench_cases.case_id = model_results.case_id
